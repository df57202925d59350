#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dsl/ast.h"
#include "dsl/diagnostic.h"

namespace kijun::dsl {

// The version of the rule language this build understands. Part of every
// content hash, so a language change never reuses results of an older one.
inline constexpr const char* kLanguageVersion = "kijun-lang/1";

// What a top-level name refers to.
struct Symbol {
  ast::SymbolKind kind = ast::SymbolKind::kUnresolved;
  const ast::Item* item = nullptr;
  const ast::Group* group = nullptr;
  const ast::Calc* calc = nullptr;
  const ast::Classification* classification = nullptr;
  const ast::Table* table = nullptr;
  const ast::Check* check = nullptr;
  SourceLocation where;
};

// A disease file with every module it imports, and (after resolve_names) one
// flat scope of their declarations.
struct Program {
  ast::RuleFile* main = nullptr;
  std::vector<ast::RuleFile*> modules;  // imports, each once, dependencies first
  std::vector<std::unique_ptr<ast::RuleFile>> files;
  std::string content_hash;  // "sha256:<hex>" over the files and the language version

  // Filled by resolve_names.
  std::map<std::string, Symbol> scope;
  std::vector<ast::Item*> items;  // every item incl. group items, in form order
  std::vector<ast::Group*> groups;
  std::vector<ast::Calc*> calcs;
  std::vector<ast::Check*> checks;
  std::vector<ast::Classification*> classifications;
  std::vector<ast::Table*> tables;
  // Filled by check_cycles: calculations in an order where each comes after
  // the calculations it reads.
  std::vector<ast::Calc*> calc_order;

  // Every file of the program, modules first and the main file last.
  std::vector<ast::RuleFile*> AllFiles() const;
};

// Parses `path` and, recursively, its imports. Problems (unreadable files,
// syntax errors, import cycles) go to `diagnostics`; the program is returned
// with whatever could be parsed.
std::unique_ptr<Program> LoadProgram(const std::string& path, SourceManager& sources,
                                     Diagnostics& diagnostics);

// Same, for text that is not on disk; imports are still read from disk,
// relative to `path`'s folder.
std::unique_ptr<Program> LoadProgramFromText(const std::string& path, std::string text,
                                             SourceManager& sources, Diagnostics& diagnostics);

}  // namespace kijun::dsl
