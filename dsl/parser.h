#pragma once

#include <memory>
#include <string_view>

#include "dsl/ast.h"
#include "dsl/diagnostic.h"

namespace kijun::dsl {

// Parses one rule file into a syntax tree. Syntax errors are added to
// `diagnostics`, all of them, with positions; the returned tree holds what
// could be recovered (never null). Never throws, never hangs.
std::unique_ptr<ast::RuleFile> ParseRuleFile(const SourceFile& source, Diagnostics& diagnostics);

// True when `text` is exactly one identifier of the language (not a keyword,
// not an item code), so that `text(…)` parses as a call of it. For names
// given from outside rule files, such as plugin functions'.
bool IsIdentifier(std::string_view text);

}  // namespace kijun::dsl
