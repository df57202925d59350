#include "plugins/disease_registry.h"

#include <chrono>
#include <filesystem>
#include <fstream>

#include "engine/jit/native_judge.h"
#include "engine/rule_tests.h"

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

bool DiseaseRegistry::Build(const std::vector<std::string>& paths,
                            std::vector<std::shared_ptr<const DiseaseVersion>>& out,
                            PublishReport& report) {
  dsl::SourceManager sources;
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

void DiseaseRegistry::Swap(std::shared_ptr<const RuleLibrary> next, PublishReport& report) {
  history_.push_back(current_.load());
  if (history_.size() > kHistory) history_.erase(history_.begin());
  report.versions = next->size();
  current_.store(std::move(next));
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
        auto next = std::make_shared<RuleLibrary>();
        for (auto& v : versions) next->Add(std::move(v));
        Swap(std::move(next), report);
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
    auto next = std::make_shared<RuleLibrary>(*current_.load());
    for (auto& v : versions) next->Add(std::move(v));
    Swap(std::move(next), report);
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
  current_.store(history_.back());
  history_.pop_back();
  ++generation_;
  return true;
}

}  // namespace kijun::plugins
