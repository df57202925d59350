#pragma once

// The version store: the disease versions the registry keeps by their
// source rather than compiled. The serving snapshot holds the newest version
// of each (programme, disease number) compiled; every older version of a key
// (superseded by a later effective-from date), and every version of a
// snapshot kept only for rollback, is a stub — key, effective-from, content
// hash and source — whose compiled form is loaded on first use, for the
// forms of its period, and unloaded again when it has not been used for the
// idle period. Compiled code stays alive while a request holds it
// (shared_ptr); the JIT's code goes with the last holder (its ORC
// ResourceTracker removed, engine/jit/jit_engine.h).

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "plugins/rule_library.h"

namespace kijun::plugins {

struct VersionStoreOptions {
  // How long a version loaded on demand stays loaded after its last use.
  std::chrono::steady_clock::duration idle_period = std::chrono::minutes(10);
  // Stamps each use (tests pass a clock of their own).
  std::function<std::chrono::steady_clock::time_point()> clock = &std::chrono::steady_clock::now;
};

// One disease version kept by its source. Thread-safe.
class StoredVersion {
 public:
  StoredVersion(const DiseaseVersion& compiled, Engine engine,
                std::shared_ptr<const VersionStoreOptions> options);
  StoredVersion(const StoredVersion&) = delete;
  StoredVersion& operator=(const StoredVersion&) = delete;

  // The version compiled, loaded now if it is not: compiled once however
  // many threads ask at the same time (the others wait for it; the JIT's
  // object cache, when set, makes the native code cheap to get again), and
  // stamped as used. Null, with `error` set (bilingual, naming the version),
  // when it cannot be loaded; the next call tries again.
  std::shared_ptr<const DiseaseVersion> Acquire(std::string& error);

  // The same, but the store lets go of it: the caller holds it from now on
  // (the serving snapshot, where it is the newest version of its key again).
  std::shared_ptr<const DiseaseVersion> Take(std::string& error);

  // Keeps `compiled`, this same version compiled elsewhere, as if it had
  // just been loaded (a version leaving the serving snapshot: a rollback
  // soon after needs no compilation).
  void Keep(std::shared_ptr<const DiseaseVersion> compiled);

  // Lets go of the compiled version. True if it was loaded.
  bool Unload();
  // Unloads it if it has not been used for the idle period before `now`.
  bool UnloadIfIdle(std::chrono::steady_clock::time_point now);

  bool loaded() const;
  // Whether its rules run as native code when loaded (as at its publish).
  bool native() const { return native_; }
  // How many times it has been compiled from its source.
  int loads() const;

 private:
  std::shared_ptr<const DiseaseVersion> LoadLocked(std::string& error);

  std::string name_;  // the version, for messages
  std::shared_ptr<const VersionSource> source_;
  Engine engine_;
  bool native_;
  std::shared_ptr<const VersionStoreOptions> options_;

  mutable std::mutex mutex_;  // held while loading, so one thread compiles
  std::shared_ptr<const DiseaseVersion> loaded_;
  std::chrono::steady_clock::time_point last_used_;
  int loads_ = 0;
};

// Every stored version of the registry, one per identity, shared by all the
// snapshots that hold it; forgotten when no snapshot holds it any more.
// Thread-safe.
class VersionStore {
 public:
  VersionStore(Engine engine, VersionStoreOptions options);

  // The stub standing for `compiled` in snapshots: its header (key, names,
  // revision, effective date, hash), its path and source, and its stored
  // version. The same stub for the same identity. Null when `compiled`
  // kept no source (it cannot be loaded again, so it stays compiled).
  std::shared_ptr<const DiseaseVersion> StubOf(const DiseaseVersion& compiled);

  // Unloads every stored version not used for the idle period before `now`.
  // Returns how many were unloaded.
  size_t UnloadIdle(std::chrono::steady_clock::time_point now);

  // How many stored versions are loaded now.
  size_t loaded() const;

  const VersionStoreOptions& options() const { return *options_; }

 private:
  Engine engine_;
  std::shared_ptr<const VersionStoreOptions> options_;
  mutable std::mutex mutex_;
  std::map<std::string, std::weak_ptr<const DiseaseVersion>> stubs_;  // by VersionIdentity
};

// "指定難病/6 2023-04-01 sha256:…": two compiled versions with the same
// identity are the same rules.
std::string VersionIdentity(const engine::ir::RuleSet& rules);

}  // namespace kijun::plugins
