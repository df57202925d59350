#pragma once

// The registry of disease modules the server judges with: an immutable rule
// library (snapshot) that requests read, replaced atomically by each
// publish. A publish goes stage → parse / check → compile → run the files'
// own embedded tests → swap; any failure leaves the serving snapshot
// untouched and returns the diagnostics. Requests in flight keep the
// snapshot they started with (they hold a shared_ptr); new requests see the
// new one. Rollback returns to the snapshot before the last publish. JIT
// code of versions no snapshot holds any more is released.
//
// Only the newest version of each key is kept compiled. Older versions
// (superseded by a later effective date) are compiled and tested at publish
// like any other, then kept as stubs in the version store
// (plugins/version_store.h): loaded for the first form of their period,
// unloaded by UnloadIdle once idle. Snapshots kept for rollback hold stubs
// only; a version leaving the serving snapshot keeps its code in the store
// for the idle period, so a rollback soon after compiles nothing.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "plugins/rule_library.h"
#include "plugins/version_store.h"

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
  explicit DiseaseRegistry(Engine engine = Engine::kJit, VersionStoreOptions options = {});

  // The snapshot to judge with; hold it for the whole request. Each call
  // returns the request's own view of the serving snapshot, which also keeps
  // the superseded versions it loads (Find) until the request lets go.
  std::shared_ptr<const RuleLibrary> Current() const;
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

  // Unloads the superseded versions not used for the idle period before
  // `now` (requests holding one keep it until they finish). The server calls
  // it periodically. Returns how many were unloaded.
  size_t UnloadIdle(std::chrono::steady_clock::time_point now) { return store_.UnloadIdle(now); }

  // How long a superseded version stays loaded after its last use.
  std::chrono::steady_clock::duration idle_period() const { return store_.options().idle_period; }

  // The version store behind the stubs (for tests and statistics).
  const VersionStore& store() const { return store_; }

 private:
  // Compiles and tests `paths`; the versions on success, else problems.
  bool Build(const std::vector<std::string>& paths,
             std::vector<std::shared_ptr<const DiseaseVersion>>& out, PublishReport& report);
  void Swap(const RuleLibrary& next, PublishReport& report);
  // `next` as it serves: the newest version of each key compiled (reused
  // from `serving` when it holds the same version), every older one a stub.
  std::shared_ptr<const RuleLibrary> Settle(const RuleLibrary& next, const RuleLibrary& serving);
  // `previous` as history keeps it, once `next` serves: stubs only.
  std::shared_ptr<const RuleLibrary> ForHistory(const RuleLibrary& previous,
                                                const RuleLibrary& next);

  Engine engine_;
  VersionStore store_;
  std::atomic<std::shared_ptr<const RuleLibrary>> current_{std::make_shared<RuleLibrary>()};
  std::atomic<uint64_t> generation_{0};
  std::mutex publish_mutex_;                                 // one publish at a time
  std::vector<std::shared_ptr<const RuleLibrary>> history_;  // earlier snapshots, newest last
};

// Whether the file at `path` is a shared module (`module …`) rather than a
// disease.
bool IsModuleFile(const std::string& path);

}  // namespace kijun::plugins
