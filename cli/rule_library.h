#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dsl/diagnostic.h"
#include "dsl/program.h"
#include "engine/ir.h"

namespace kijun::cli {

// One rule file taken through the whole front end.
struct CompiledRuleFile {
  std::string path;
  std::unique_ptr<dsl::Program> program;
  std::optional<engine::ir::RuleSet> rules;  // set when the file has no errors
};

// Every `.kijun` file under `paths` (files or folders, recursively), sorted.
std::vector<std::string> FindRuleFiles(const std::vector<std::string>& paths);

// Parses, checks and lowers one file. Diagnostics go to `diagnostics`.
CompiledRuleFile CompileRuleFile(const std::string& path, dsl::SourceManager& sources,
                                 dsl::Diagnostics& diagnostics);

// The diseases of a rules folder, by key and effective date.
class RuleLibrary {
 public:
  // Compiles every disease file under `folder`; files with errors are left
  // out and their diagnostics kept in `diagnostics`.
  void Load(const std::string& folder, dsl::SourceManager& sources, dsl::Diagnostics& diagnostics);

  // The version of `disease` ("指定難病/6") in force on `date` (days since
  // 1970-01-01): the latest effective-from not after it. Without a date, the
  // latest version. Null when there is none.
  const engine::ir::RuleSet* Find(const std::string& disease, std::optional<int64_t> date) const;

  size_t size() const { return rules_.size(); }

 private:
  std::vector<engine::ir::RuleSet> rules_;
};

}  // namespace kijun::cli
