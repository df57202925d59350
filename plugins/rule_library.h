#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
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

struct VersionSource;
class StoredVersion;

// One disease version: its rules, their native code (null when they run on
// the interpreter) and the file it came from. Immutable once built, shared
// by every rule library (snapshot) that contains it; its JIT code is
// released when the last one lets go.
//
// In a registry's snapshot a version may instead be a stub
// (plugins/version_store.h): a superseded version, kept by its source, whose
// `rules` hold only the header (key, names, revision, effective date, content
// hash; no items, calculations or classifications, so nothing to judge
// with) and whose compiled form is loaded on demand by RuleLibrary::Find.
struct DiseaseVersion {
  engine::ir::RuleSet rules;
  std::unique_ptr<engine::jit::NativeRuleSet> native;
  std::string path;
  // The text it was compiled from, when a registry published it.
  std::shared_ptr<const VersionSource> source;
  // Set on a stub only: where its compiled form is loaded from.
  std::shared_ptr<StoredVersion> stored;

  bool is_stub() const { return stored != nullptr; }
  // Whether it is compiled in memory now: always for a compiled version; for
  // a stub, while its stored version is loaded.
  bool loaded() const;
  // Whether its rules run as native code (JIT) when compiled, loaded or not.
  bool has_native_code() const;
};

// A superseded version in force on a form's date that cannot be loaded
// again (plugins/version_store.h). Only that form fails; what() is
// bilingual and names the version.
class VersionLoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The diseases of a rules folder, by key and effective date.
//
// A library is also what a registry hands each request
// (DiseaseRegistry::Current()): a copy sharing the snapshot's versions that
// additionally holds the stubs' versions it loaded for the request, so they
// stay alive until the request lets go of the library, whatever the idle
// sweep does meanwhile.
class RuleLibrary {
 public:
  using Versions = std::vector<std::shared_ptr<const DiseaseVersion>>;

  RuleLibrary() = default;
  explicit RuleLibrary(Versions versions);
  // A copy shares the versions (a new snapshot to add to, or a request's
  // view of one); not the versions the other loaded.
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
  // latest version. Null when there is none. A stub is loaded first (see
  // Acquire) and kept by this library; throws VersionLoadError when it
  // cannot be. Thread-safe.
  const engine::ir::RuleSet* Find(const std::string& disease, std::optional<int64_t> date) const;

  // The same version, compiled, held by the returned pointer rather than by
  // this library. Null when there is none, or — with `error` set — when it
  // is a stub that cannot be loaded. Thread-safe.
  std::shared_ptr<const DiseaseVersion> Acquire(const std::string& disease,
                                                std::optional<int64_t> date,
                                                std::string& error) const;

  // The JIT's code for `rules` (a version Find returned), or null (it then
  // runs on the interpreter). Thread-safe: each thread makes its own
  // engine::jit::NativeJudge from it.
  const engine::jit::NativeRuleSet* Native(const engine::ir::RuleSet* rules) const;

  // Every disease version, in file order: stubs included (look-ups by date
  // and listings only; judge with what Find returns).
  const Versions& versions() const { return *versions_; }

  size_t size() const { return versions_->size(); }

 private:
  // The entry in force on `date`, or null.
  const DiseaseVersion* InForce(const std::string& disease, std::optional<int64_t> date) const;

  std::shared_ptr<const Versions> versions_ = std::make_shared<const Versions>();
  // Versions loaded from stubs for the holder of this library.
  mutable std::mutex loaded_mutex_;
  mutable Versions loaded_;
  // Compiled(), made lazily.
  std::map<const engine::ir::RuleSet*, std::unique_ptr<engine::jit::NativeJudge>> judges_;
};

}  // namespace kijun::plugins
