#pragma once

#include <memory>

#include "dsl/ast.h"
#include "dsl/diagnostic.h"

namespace kijun::dsl {

// Parses one rule file into a syntax tree. Syntax errors are added to
// `diagnostics`, all of them, with positions; the returned tree holds what
// could be recovered (never null). Never throws, never hangs.
std::unique_ptr<ast::RuleFile> ParseRuleFile(const SourceFile& source, Diagnostics& diagnostics);

}  // namespace kijun::dsl
