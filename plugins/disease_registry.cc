#include "plugins/disease_registry.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "engine/jit/native_judge.h"
#include "engine/rule_tests.h"
#include "plugins/version_source.h"

namespace kijun::plugins {

namespace {

constexpr size_t kHistory = 16;

}  // namespace

bool IsModuleFile(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos || line[start] == '#') continue;
    return line.compare(start, 7, "module ") == 0;
  }
  return false;
}

DiseaseRegistry::DiseaseRegistry(Engine engine, VersionStoreOptions options)
    : engine_(engine), store_(engine, std::move(options)) {}

std::shared_ptr<const RuleLibrary> DiseaseRegistry::Current() const {
  // A view per request, so the versions it loads are held by the request.
  return std::make_shared<const RuleLibrary>(*current_.load());
}

bool DiseaseRegistry::Build(const std::vector<std::string>& paths,
                            std::vector<std::shared_ptr<const DiseaseVersion>>& out,
                            PublishReport& report) {
  dsl::SourceManager sources;
  SourceTexts texts;
  bool ok = true;
  for (const auto& path : paths) {
    dsl::Diagnostics diagnostics;
    CompiledRuleFile file = CompileRuleFile(path, sources, diagnostics);
    if (!file.rules || diagnostics.HasErrors()) {
      for (const auto& d : diagnostics.Sorted()) {
        if (d.severity == dsl::Severity::kError) report.problems += dsl::Render(d);
      }
      if (!file.rules && !diagnostics.HasErrors()) {
        report.problems += path + ": コンパイルできません / cannot be compiled\n";
      }
      ok = false;
      continue;
    }
    auto version = std::make_shared<DiseaseVersion>();
    version->rules = std::move(*file.rules);
    version->path = path;
    version->source = std::make_shared<const VersionSource>(CaptureSource(*file.program, texts));
    if (engine_ == Engine::kJit) version->native = CompileNative(version->rules);
    std::unique_ptr<engine::jit::NativeJudge> judge;
    if (version->native) {
      judge = std::make_unique<engine::jit::NativeJudge>(version->rules, *version->native);
    }
    engine::RuleTestReport tests = engine::RunRuleTests(*file.program, version->rules, judge.get());
    for (const auto& f : tests.failures) {
      report.problems += f.where + ": テストが通りません / test fails 「" + f.test +
                         "」\n    expected: " + f.expected + "\n    actual:   " + f.actual + "\n";
      ok = false;
    }
    if (!version->rules.is_module) {
      report.published_versions.push_back(version->rules.DiseaseKey() + " " +
                                          version->rules.content_hash);
      out.push_back(std::move(version));
    }
  }
  return ok;
}

namespace {

using ByIdentity = std::map<std::string, std::shared_ptr<const DiseaseVersion>>;

// `version` compiled: itself, the serving snapshot's copy of the same
// version, or loaded from the store. If it cannot be loaded now it stays a
// stub: each form of it then says why, and every other disease serves.
std::shared_ptr<const DiseaseVersion> AsCompiled(
    const std::shared_ptr<const DiseaseVersion>& version, const ByIdentity& serving) {
  if (!version->is_stub()) return version;
  if (auto it = serving.find(VersionIdentity(version->rules)); it != serving.end()) {
    return it->second;
  }
  std::string error;
  std::shared_ptr<const DiseaseVersion> loaded = version->stored->Take(error);
  return loaded != nullptr ? loaded : version;
}

// `version` as a stub (itself when it kept no source to load it from again).
// With `keep`, its stored version keeps that code as if just loaded; else,
// when `drop` is set, it lets go of any it had.
std::shared_ptr<const DiseaseVersion> AsStub(const std::shared_ptr<const DiseaseVersion>& version,
                                             VersionStore& store, bool keep, bool drop) {
  if (version->is_stub()) return version;
  std::shared_ptr<const DiseaseVersion> stub = store.StubOf(*version);
  if (stub == nullptr) return version;
  if (keep) {
    stub->stored->Keep(version);
  } else if (drop) {
    stub->stored->Unload();
  }
  return stub;
}

}  // namespace

std::shared_ptr<const RuleLibrary> DiseaseRegistry::Settle(const RuleLibrary& next,
                                                           const RuleLibrary& serving) {
  std::map<std::string, int64_t> newest;  // effective date of each key's newest version
  for (const auto& v : next.versions()) {
    int64_t effective = v->rules.effective.value_or(INT64_MIN);
    auto [it, added] = newest.emplace(v->rules.DiseaseKey(), effective);
    if (!added) it->second = std::max(it->second, effective);
  }
  ByIdentity compiled;
  for (const auto& v : serving.versions()) {
    if (!v->is_stub()) compiled.emplace(VersionIdentity(v->rules), v);
  }
  RuleLibrary::Versions out;
  out.reserve(next.size());
  for (const auto& v : next.versions()) {
    if (v->rules.effective.value_or(INT64_MIN) == newest[v->rules.DiseaseKey()]) {
      out.push_back(AsCompiled(v, compiled));
    } else {
      // Superseded. Compiled and tested by its publish like any other; if it
      // was serving compiled until now, its code goes now.
      bool was_serving = compiled.count(VersionIdentity(v->rules)) != 0;
      out.push_back(AsStub(v, store_, false, was_serving));
    }
  }
  return std::make_shared<const RuleLibrary>(std::move(out));
}

std::shared_ptr<const RuleLibrary> DiseaseRegistry::ForHistory(const RuleLibrary& previous,
                                                               const RuleLibrary& next) {
  std::set<std::string> in_next;
  for (const auto& v : next.versions()) in_next.insert(VersionIdentity(v->rules));
  RuleLibrary::Versions out;
  out.reserve(previous.size());
  for (const auto& v : previous.versions()) {
    // A version leaving the serving set keeps its code for the idle period:
    // rolling back a bad deploy soon after compiles nothing.
    bool leaves = in_next.count(VersionIdentity(v->rules)) == 0;
    out.push_back(AsStub(v, store_, leaves, false));
  }
  return std::make_shared<const RuleLibrary>(std::move(out));
}

void DiseaseRegistry::Swap(const RuleLibrary& next, PublishReport& report) {
  std::shared_ptr<const RuleLibrary> previous = current_.load();
  std::shared_ptr<const RuleLibrary> serving = Settle(next, *previous);
  history_.push_back(ForHistory(*previous, *serving));
  if (history_.size() > kHistory) history_.erase(history_.begin());
  report.versions = serving->size();
  current_.store(std::move(serving));
  report.generation = ++generation_;
  report.published = true;
}

PublishReport DiseaseRegistry::PublishFolder(const std::string& folder) {
  auto start = std::chrono::steady_clock::now();
  PublishReport report;
  std::lock_guard<std::mutex> lock(publish_mutex_);
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    report.problems = "「" + folder + "」はフォルダではありません / not a folder: " + folder + "\n";
  } else {
    std::vector<std::shared_ptr<const DiseaseVersion>> versions;
    if (Build(FindRuleFiles({folder}), versions, report)) {
      if (versions.empty()) {
        report.problems =
            "「" + folder + "」に疾病ファイルがありません / no disease files in " + folder + "\n";
      } else {
        RuleLibrary next;
        for (auto& v : versions) next.Add(std::move(v));
        Swap(next, report);
      }
    }
  }
  if (!report.published) {
    report.generation = generation_;
    report.versions = current_.load()->size();
  }
  report.milliseconds =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return report;
}

PublishReport DiseaseRegistry::PublishFile(const std::string& path) {
  auto start = std::chrono::steady_clock::now();
  PublishReport report;
  std::lock_guard<std::mutex> lock(publish_mutex_);
  std::vector<std::shared_ptr<const DiseaseVersion>> versions;
  if (Build({path}, versions, report) && !versions.empty()) {
    RuleLibrary next(*current_.load());
    for (auto& v : versions) next.Add(std::move(v));
    Swap(next, report);
  } else if (report.problems.empty()) {
    report.problems = path + ": 疾病ファイルではありません / not a disease file\n";
  }
  if (!report.published) {
    report.generation = generation_;
    report.versions = current_.load()->size();
  }
  report.milliseconds =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return report;
}

PublishReport DiseaseRegistry::PublishChanges(const std::string& folder,
                                              const std::vector<std::string>& paths) {
  bool only_diseases = !paths.empty();
  for (const auto& p : paths) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p, ec) || IsModuleFile(p)) only_diseases = false;
  }
  if (!only_diseases) return PublishFolder(folder);
  PublishReport total;
  for (const auto& p : paths) {
    PublishReport one = PublishFile(p);
    total.published = one.published || total.published;
    total.generation = one.generation;
    total.versions = one.versions;
    total.problems += one.problems;
    total.milliseconds += one.milliseconds;
    for (auto& v : one.published_versions) total.published_versions.push_back(v);
  }
  return total;
}

bool DiseaseRegistry::Rollback(std::string& error) {
  std::lock_guard<std::mutex> lock(publish_mutex_);
  if (history_.empty() || history_.back()->size() == 0) {
    error = "戻せる以前の版がありません / there is no earlier rule set to roll back to";
    return false;
  }
  std::shared_ptr<const RuleLibrary> serving = current_.load();
  current_.store(Settle(*history_.back(), *serving));
  history_.pop_back();
  ++generation_;
  return true;
}

}  // namespace kijun::plugins
