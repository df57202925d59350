#pragma once

// A deep copy of a rule file as the parser made it, so a module imported by
// many disease files is parsed once per run and each program still gets a
// syntax tree of its own to annotate (dsl/program.cc). Only what the parser
// fills is copied: annotations that passes add (symbols, types, indexes of
// resolved names) start empty, as after a parse. Locations keep pointing at
// the original's SourceFile, which holds the same text and lives as long as
// the SourceManager that read it.

#include <memory>

#include "dsl/ast.h"

namespace kijun::dsl {

std::unique_ptr<ast::RuleFile> CloneParsedFile(const ast::RuleFile& file);

}  // namespace kijun::dsl
