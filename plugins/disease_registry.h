#pragma once

// The registry of disease modules the server judges with: an immutable rule
// library (snapshot) that requests read, replaced atomically by each
// publish. A publish goes stage → parse / check → compile → run the files'
// own embedded tests → swap; any failure leaves the serving snapshot
// untouched and returns the diagnostics. Requests in flight keep the
// snapshot they started with (they hold a shared_ptr); new requests see the
// new one. Rollback returns to the snapshot before the last publish. JIT
// code of versions no snapshot holds any more is released.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "plugins/rule_library.h"

namespace kijun::plugins {

struct PublishReport {
  bool published = false;
  uint64_t generation = 0;  // of the snapshot serving afterwards
  size_t versions = 0;      // disease versions in it
  // What was refused and why (diagnostics, failing tests), bilingual.
  std::string problems;
  // "指定難病/6 sha256:…" for each version compiled by this publish.
  std::vector<std::string> published_versions;
  double milliseconds = 0;
};

class DiseaseRegistry {
 public:
  explicit DiseaseRegistry(Engine engine = Engine::kJit) : engine_(engine) {}

  // The snapshot to judge with; hold it for the whole request.
  std::shared_ptr<const RuleLibrary> Current() const { return current_.load(); }
  uint64_t generation() const { return generation_.load(); }

  // Publishes every rule file under `folder` as the whole rule set (the
  // start-up load, a changed shared module, a deployed bundle). Refused as
  // a whole if any file has errors or a failing test.
  PublishReport PublishFolder(const std::string& folder);

  // Publishes one disease file as a new or replacing version (same disease
  // and effective date), keeping every other version.
  PublishReport PublishFile(const std::string& path);

  // Publishes what changed under `folder`: the files themselves when only
  // disease files were written, else the whole folder.
  PublishReport PublishChanges(const std::string& folder, const std::vector<std::string>& paths);

  // Serves the snapshot before the last publish again. False, with the
  // reason, when there is none.
  bool Rollback(std::string& error);

 private:
  // Compiles and tests `paths`; the versions on success, else problems.
  bool Build(const std::vector<std::string>& paths,
             std::vector<std::shared_ptr<const DiseaseVersion>>& out, PublishReport& report);
  void Swap(std::shared_ptr<const RuleLibrary> next, PublishReport& report);

  Engine engine_;
  std::atomic<std::shared_ptr<const RuleLibrary>> current_{std::make_shared<RuleLibrary>()};
  std::atomic<uint64_t> generation_{0};
  std::mutex publish_mutex_;                                 // one publish at a time
  std::vector<std::shared_ptr<const RuleLibrary>> history_;  // earlier snapshots, newest last
};

// Whether the file at `path` is a shared module (`module …`) rather than a
// disease.
bool IsModuleFile(const std::string& path);

}  // namespace kijun::plugins
