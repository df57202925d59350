#include "plugins/rule_library.h"

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "dsl/pass.h"
#include "engine/lower_to_ir.h"

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

CompiledRuleFile CompileRuleFile(const std::string& path, dsl::SourceManager& sources,
                                 dsl::Diagnostics& diagnostics) {
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

void RuleLibrary::Add(std::shared_ptr<const DiseaseVersion> version) {
  const engine::ir::RuleSet& added = version->rules;
  for (auto& v : versions_) {
    if (v->rules.DiseaseKey() == added.DiseaseKey() && v->rules.effective == added.effective) {
      v = std::move(version);
      judges_.clear();
      return;
    }
  }
  versions_.push_back(std::move(version));
  judges_.clear();
}

const engine::ir::RuleSet* RuleLibrary::Find(const std::string& disease,
                                             std::optional<int64_t> date) const {
  const engine::ir::RuleSet* best = nullptr;
  for (const auto& v : versions_) {
    const engine::ir::RuleSet& r = v->rules;
    if (r.DiseaseKey() != disease) continue;
    int64_t effective = r.effective.value_or(INT64_MIN);
    if (date && effective > *date) continue;
    if (best == nullptr || effective > best->effective.value_or(INT64_MIN)) best = &r;
  }
  return best;
}

engine::CompiledRules* RuleLibrary::Compiled(const engine::ir::RuleSet* rules) {
  if (judges_.size() != versions_.size()) {
    judges_.clear();
    for (const auto& v : versions_) {
      judges_.push_back(v->native ? std::make_unique<engine::jit::NativeJudge>(v->rules, *v->native)
                                  : nullptr);
    }
  }
  for (size_t i = 0; i < versions_.size(); ++i) {
    if (&versions_[i]->rules == rules) return judges_[i].get();
  }
  return nullptr;
}

const engine::jit::NativeRuleSet* RuleLibrary::Native(const engine::ir::RuleSet* rules) const {
  for (const auto& v : versions_) {
    if (&v->rules == rules) return v->native.get();
  }
  return nullptr;
}

}  // namespace kijun::plugins
