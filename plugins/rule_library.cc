#include "plugins/rule_library.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <mutex>

#include "dsl/pass.h"
#include "engine/lower_to_ir.h"
#include "plugins/version_store.h"

namespace kijun::plugins {

namespace fs = std::filesystem;

std::vector<std::string> FindRuleFiles(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      for (const auto& entry : fs::recursive_directory_iterator(path, ec)) {
        if (entry.is_regular_file() && entry.path().extension() == ".kijun") {
          files.push_back(entry.path().string());
        }
      }
    } else {
      files.push_back(path);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

namespace {

// Held around every use of the front end. The ANTLR 4.9 C++ runtime (Debian's)
// shares its prediction cache between parsers without locking all of it
// (antlr/antlr4#3332, fixed in 4.10), and a registry now parses on several
// threads: a publish, a bundle's manifest check and versions loaded on
// demand by requests.
std::mutex& FrontEndMutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

CompiledRuleFile CompileRuleFile(const std::string& path, dsl::SourceManager& sources,
                                 dsl::Diagnostics& diagnostics) {
  std::lock_guard<std::mutex> lock(FrontEndMutex());
  CompiledRuleFile out;
  out.path = path;
  out.program = dsl::LoadProgram(path, sources, diagnostics);
  size_t before = diagnostics.error_count();
  if (dsl::RunFrontEnd(*out.program, diagnostics) && diagnostics.error_count() == before) {
    out.rules = engine::LowerToIr(*out.program);
  }
  return out;
}

namespace {
std::string& CacheDirectory() {
  static std::string directory;
  return directory;
}
}  // namespace

void SetJitCacheDirectory(const std::string& directory) { CacheDirectory() = directory; }

void StartJit() { engine::jit::JitEngine::Get(nullptr, CacheDirectory()); }

std::string JitCacheStats() {
  engine::jit::JitEngine* jit = engine::jit::JitEngine::Get(nullptr, CacheDirectory());
  if (jit == nullptr) return "jit: unavailable";
  return "jit cache: " + std::to_string(jit->cache_hits()) + " hits, " +
         std::to_string(jit->cache_misses()) + " misses, " + std::to_string(jit->cache_rejected()) +
         " rejected";
}

std::unique_ptr<engine::jit::NativeRuleSet> CompileNative(const engine::ir::RuleSet& rules) {
  std::string error;
  engine::jit::JitEngine* jit = engine::jit::JitEngine::Get(&error, CacheDirectory());
  std::unique_ptr<engine::jit::NativeRuleSet> native;
  if (jit != nullptr) native = jit->Compile(rules, error);
  if (native == nullptr) {
    std::cerr << "kijun: 「" << rules.DiseaseKey()
              << "」は JIT でコンパイルできないためインタプリタで判定します / "
              << "JIT compilation failed, using the interpreter: " << error << '\n';
  }
  return native;
}

void RuleLibrary::Load(const std::string& folder, dsl::SourceManager& sources,
                       dsl::Diagnostics& diagnostics, Engine engine) {
  for (const auto& path : FindRuleFiles({folder})) {
    dsl::Diagnostics own;
    CompiledRuleFile file = CompileRuleFile(path, sources, own);
    for (const auto& d : own.all()) {
      if (d.severity == dsl::Severity::kError) {
        diagnostics.Error(d.where, d.code, d.message_ja, d.message_en, d.hint_ja, d.hint_en);
      }
    }
    if (file.rules && !file.rules->is_module && !own.HasErrors()) {
      auto version = std::make_shared<DiseaseVersion>();
      version->rules = std::move(*file.rules);
      version->path = path;
      if (engine == Engine::kJit) version->native = CompileNative(version->rules);
      Add(std::move(version));
    }
  }
}

RuleLibrary::RuleLibrary(Versions versions)
    : versions_(std::make_shared<const Versions>(std::move(versions))) {}

void RuleLibrary::Add(std::shared_ptr<const DiseaseVersion> version) {
  // Copy on write: other libraries (snapshots, requests' views) share the list.
  auto next = std::make_shared<Versions>(*versions_);
  const engine::ir::RuleSet& added = version->rules;
  bool replaced = false;
  for (auto& v : *next) {
    if (v->rules.DiseaseKey() == added.DiseaseKey() && v->rules.effective == added.effective) {
      v = std::move(version);
      replaced = true;
      break;
    }
  }
  if (!replaced) next->push_back(std::move(version));
  versions_ = std::move(next);
  judges_.clear();
}

const DiseaseVersion* RuleLibrary::InForce(const std::string& disease,
                                           std::optional<int64_t> date) const {
  const DiseaseVersion* best = nullptr;
  for (const auto& v : *versions_) {
    const engine::ir::RuleSet& r = v->rules;
    if (r.DiseaseKey() != disease) continue;
    int64_t effective = r.effective.value_or(INT64_MIN);
    if (date && effective > *date) continue;
    if (best == nullptr || effective > best->rules.effective.value_or(INT64_MIN)) best = v.get();
  }
  return best;
}

std::shared_ptr<const DiseaseVersion> RuleLibrary::Acquire(const std::string& disease,
                                                           std::optional<int64_t> date,
                                                           std::string& error) const {
  const DiseaseVersion* entry = InForce(disease, date);
  if (entry == nullptr) return nullptr;
  if (entry->is_stub()) return entry->stored->Acquire(error);
  for (const auto& v : *versions_) {
    if (v.get() == entry) return v;
  }
  return nullptr;  // not reached: the entry is one of versions_
}

const engine::ir::RuleSet* RuleLibrary::Find(const std::string& disease,
                                             std::optional<int64_t> date) const {
  const DiseaseVersion* entry = InForce(disease, date);
  if (entry == nullptr) return nullptr;
  if (!entry->is_stub()) return &entry->rules;
  std::string error;
  std::shared_ptr<const DiseaseVersion> version = entry->stored->Acquire(error);
  if (version == nullptr) throw VersionLoadError(error);
  std::lock_guard<std::mutex> lock(loaded_mutex_);
  if (std::find(loaded_.begin(), loaded_.end(), version) == loaded_.end()) {
    loaded_.push_back(version);
  }
  return &version->rules;
}

engine::CompiledRules* RuleLibrary::Compiled(const engine::ir::RuleSet* rules) {
  auto [it, made] = judges_.try_emplace(rules);
  if (made) {
    if (const engine::jit::NativeRuleSet* native = Native(rules)) {
      it->second = std::make_unique<engine::jit::NativeJudge>(*rules, *native);
    }
  }
  return it->second.get();
}

const engine::jit::NativeRuleSet* RuleLibrary::Native(const engine::ir::RuleSet* rules) const {
  for (const auto& v : *versions_) {
    if (&v->rules == rules) return v->native.get();
  }
  std::lock_guard<std::mutex> lock(loaded_mutex_);
  for (const auto& v : loaded_) {
    if (&v->rules == rules) return v->native.get();
  }
  return nullptr;
}

bool DiseaseVersion::loaded() const { return stored == nullptr || stored->loaded(); }

bool DiseaseVersion::has_native_code() const {
  return stored != nullptr ? stored->native() : native != nullptr;
}

}  // namespace kijun::plugins
