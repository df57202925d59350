#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dsl/diagnostic.h"
#include "dsl/program.h"
#include "engine/compiled_rules.h"
#include "engine/ir.h"
#include "engine/jit/jit_engine.h"
#include "engine/jit/native_judge.h"

namespace kijun::plugins {

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

// Which executor judges: the JIT (native code, the default) or the reference
// interpreter.
enum class Engine { kJit, kInterpreter };

// Compiles `rules` with the JIT. Returns null, after a warning on stderr,
// when the JIT cannot compile them: they then run on the interpreter, and
// other diseases are not affected.
std::unique_ptr<engine::jit::NativeRuleSet> CompileNative(const engine::ir::RuleSet& rules);

// Where the JIT keeps compiled objects across runs ("" = no cache). Must be
// set before the first compilation.
void SetJitCacheDirectory(const std::string& directory);
// Starts LLVM (with the cache directory) ahead of the first compilation.
void StartJit();
// "jit cache: N hits, N misses, N rejected" for --jit-stats.
std::string JitCacheStats();

// One compiled disease version: its rules, their native code (null when
// they run on the interpreter) and the file it came from. Immutable once
// built, shared by every rule library (snapshot) that contains it; its JIT
// code is released when the last one lets go.
struct DiseaseVersion {
  engine::ir::RuleSet rules;
  std::unique_ptr<engine::jit::NativeRuleSet> native;
  std::string path;
};

// The diseases of a rules folder, by key and effective date.
class RuleLibrary {
 public:
  RuleLibrary() = default;
  // A copy shares the versions (a new snapshot to add to).
  RuleLibrary(const RuleLibrary& other) : versions_(other.versions_) {}
  RuleLibrary& operator=(const RuleLibrary&) = delete;

  // Compiles every disease file under `folder`; files with errors are left
  // out and their diagnostics kept in `diagnostics`.
  void Load(const std::string& folder, dsl::SourceManager& sources, dsl::Diagnostics& diagnostics,
            Engine engine = Engine::kInterpreter);

  // Adds a compiled version (replacing one of the same disease and
  // effective date).
  void Add(std::shared_ptr<const DiseaseVersion> version);

  // The native code of `rules` for the interpreter to use, or null.
  // Thread-hostile (one frame per rule set): for single-threaded tools.
  engine::CompiledRules* Compiled(const engine::ir::RuleSet* rules);

  // The version of `disease` ("指定難病/6") in force on `date` (days since
  // 1970-01-01): the latest effective-from not after it. Without a date, the
  // latest version. Null when there is none.
  const engine::ir::RuleSet* Find(const std::string& disease, std::optional<int64_t> date) const;

  // The JIT's code for `rules`, or null (it then runs on the interpreter).
  // Thread-safe: each thread makes its own engine::jit::NativeJudge from it.
  const engine::jit::NativeRuleSet* Native(const engine::ir::RuleSet* rules) const;

  // Every disease version loaded, in file order.
  const std::vector<std::shared_ptr<const DiseaseVersion>>& versions() const { return versions_; }

  size_t size() const { return versions_.size(); }

 private:
  std::vector<std::shared_ptr<const DiseaseVersion>> versions_;
  std::vector<std::unique_ptr<engine::jit::NativeJudge>> judges_;  // Compiled(), made lazily
};

}  // namespace kijun::plugins
