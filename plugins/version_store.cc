#include "plugins/version_store.h"

#include "dsl/calendar.h"
#include "plugins/version_source.h"

namespace kijun::plugins {

namespace {

// A stub's rules: what listings and look-ups by date read, nothing to judge
// with.
engine::ir::RuleSet HeaderOf(const engine::ir::RuleSet& rules) {
  engine::ir::RuleSet header;
  header.is_module = rules.is_module;
  header.programme = rules.programme;
  header.number = rules.number;
  header.name_ja = rules.name_ja;
  header.name_en = rules.name_en;
  header.revision = rules.revision;
  header.effective = rules.effective;
  header.variants = rules.variants;
  header.content_hash = rules.content_hash;
  header.path = rules.path;
  return header;
}

std::string EffectiveText(const engine::ir::RuleSet& rules) {
  return rules.effective ? dsl::FormatDate(*rules.effective) : std::string("-");
}

}  // namespace

std::string VersionIdentity(const engine::ir::RuleSet& rules) {
  return rules.DiseaseKey() + " " + EffectiveText(rules) + " " + rules.content_hash;
}

StoredVersion::StoredVersion(const DiseaseVersion& compiled, Engine engine,
                             std::shared_ptr<const VersionStoreOptions> options)
    : name_(VersionIdentity(compiled.rules)),
      source_(compiled.source),
      engine_(engine),
      native_(compiled.native != nullptr),
      options_(std::move(options)),
      last_used_(options_->clock()) {}

std::shared_ptr<const DiseaseVersion> StoredVersion::LoadLocked(std::string& error) {
  last_used_ = options_->clock();
  if (loaded_) return loaded_;
  std::string why;
  std::optional<engine::ir::RuleSet> rules;
  if (source_ == nullptr) {
    why = "版の原文がありません / the version's source was not kept";
  } else {
    rules = CompileFromSource(*source_, why);
  }
  if (!rules) {
    error = "版「" + name_ + "」を読み込めません / cannot load version " + name_ + ": " + why;
    return nullptr;
  }
  auto version = std::make_shared<DiseaseVersion>();
  version->rules = std::move(*rules);
  version->path = source_->path;
  version->source = source_;
  if (engine_ == Engine::kJit) version->native = CompileNative(version->rules);
  ++loads_;
  loaded_ = std::move(version);
  return loaded_;
}

std::shared_ptr<const DiseaseVersion> StoredVersion::Acquire(std::string& error) {
  std::lock_guard<std::mutex> lock(mutex_);
  return LoadLocked(error);
}

std::shared_ptr<const DiseaseVersion> StoredVersion::Take(std::string& error) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::shared_ptr<const DiseaseVersion> version = LoadLocked(error);
  loaded_.reset();
  return version;
}

void StoredVersion::Keep(std::shared_ptr<const DiseaseVersion> compiled) {
  std::lock_guard<std::mutex> lock(mutex_);
  loaded_ = std::move(compiled);
  last_used_ = options_->clock();
}

bool StoredVersion::Unload() {
  std::lock_guard<std::mutex> lock(mutex_);
  bool was_loaded = loaded_ != nullptr;
  loaded_.reset();
  return was_loaded;
}

bool StoredVersion::UnloadIfIdle(std::chrono::steady_clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (loaded_ == nullptr || now - last_used_ < options_->idle_period) return false;
  loaded_.reset();
  return true;
}

bool StoredVersion::loaded() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return loaded_ != nullptr;
}

int StoredVersion::loads() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return loads_;
}

VersionStore::VersionStore(Engine engine, VersionStoreOptions options)
    : engine_(engine), options_(std::make_shared<const VersionStoreOptions>(std::move(options))) {}

std::shared_ptr<const DiseaseVersion> VersionStore::StubOf(const DiseaseVersion& compiled) {
  if (compiled.is_stub()) return nullptr;  // callers pass compiled versions only
  if (compiled.source == nullptr) return nullptr;
  std::string identity = VersionIdentity(compiled.rules);
  std::lock_guard<std::mutex> lock(mutex_);
  std::weak_ptr<const DiseaseVersion>& slot = stubs_[identity];
  if (auto existing = slot.lock()) return existing;
  auto stub = std::make_shared<DiseaseVersion>();
  stub->rules = HeaderOf(compiled.rules);
  stub->path = compiled.path;
  stub->source = compiled.source;
  stub->stored = std::make_shared<StoredVersion>(compiled, engine_, options_);
  slot = stub;
  return stub;
}

size_t VersionStore::UnloadIdle(std::chrono::steady_clock::time_point now) {
  // Collected first, so that releasing JIT code (which takes the JIT's own
  // lock) happens outside the store's.
  std::vector<std::shared_ptr<const DiseaseVersion>> stubs;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = stubs_.begin(); it != stubs_.end();) {
      if (auto stub = it->second.lock()) {
        stubs.push_back(std::move(stub));
        ++it;
      } else {
        it = stubs_.erase(it);  // no snapshot holds it any more
      }
    }
  }
  size_t unloaded = 0;
  for (const auto& stub : stubs) unloaded += stub->stored->UnloadIfIdle(now) ? 1 : 0;
  return unloaded;
}

size_t VersionStore::loaded() const {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t count = 0;
  for (const auto& [identity, weak] : stubs_) {
    if (auto stub = weak.lock(); stub && stub->stored->loaded()) ++count;
  }
  return count;
}

}  // namespace kijun::plugins
