// Time from "rule file saved" to "serving", for one disease through the
// watched rules folder, and for a bundle of every disease through the
// deploy path (verify → extract → manifest → check, compile, test → swap).
// A CLI mode, not a Google Benchmark: each figure is a wall-clock interval
// of the real path, repeated, with the median and the worst reported.
//
//   build/bench/publish_bench [--rounds N] [--jit-cache DIR]

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "plugins/bundle_deploy.h"
#include "plugins/disease_registry.h"
#include "plugins/rule_bundle.h"
#include "plugins/rules_watcher.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::string Read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void Write(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string ServingHash(const kijun::plugins::DiseaseRegistry& registry) {
  auto library = registry.Current();
  const auto* rules = library->Find("指定難病/6", std::nullopt);
  return rules == nullptr ? "" : rules->content_hash;
}

void Report(const char* what, std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  std::printf("%-58s median %8.1f ms   worst %8.1f ms   (%zu rounds)\n", what, ms[ms.size() / 2],
              ms.back(), ms.size());
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 20;
  std::string cache;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::max(1, std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--jit-cache") == 0) cache = argv[i + 1];
  }
  fs::path root = fs::temp_directory_path() / ("kijun-publish-bench-" + std::to_string(getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  fs::copy(fs::path(KIJUN_SOURCE_DIR) / "diseases", root / "rules", fs::copy_options::recursive);
  kijun::plugins::SetJitCacheDirectory(cache);

  kijun::plugins::DiseaseRegistry registry(kijun::plugins::Engine::kJit);
  auto start = Clock::now();
  kijun::plugins::PublishReport first = registry.PublishFolder((root / "rules").string());
  if (!first.published) {
    std::cerr << first.problems;
    return 1;
  }
  std::printf("start-up: %zu disease versions published in %.0f ms\n", first.versions,
              std::chrono::duration<double, std::milli>(Clock::now() - start).count());

  // 1. One disease: save the file, wait until the new version serves.
  fs::path file = root / "rules/nanbyo/006_parkinson.kijun";
  std::string v1 = Read(file);
  std::mutex mutex;
  std::condition_variable published;
  kijun::plugins::RulesWatcher watcher(
      (root / "rules").string(), [&](const std::vector<std::string>& paths) {
        kijun::plugins::PublishReport r = registry.PublishChanges((root / "rules").string(), paths);
        if (!r.published) std::cerr << r.problems;
        std::lock_guard<std::mutex> lock(mutex);
        published.notify_all();
      });
  std::string error;
  if (!watcher.Start(error)) {
    std::cerr << error << '\n';
    return 1;
  }
  std::vector<double> one;
  for (int i = 0; i < rounds; ++i) {
    // A new revision each round (never one the cache has seen).
    std::string text = v1;
    size_t at = text.find("\"パーキンソン病\"");
    text.replace(at, std::strlen("\"パーキンソン病\""),
                 "\"パーキンソン病 (第" + std::to_string(i + 1) + "版)\"");
    std::string before = ServingHash(registry);
    auto saved = Clock::now();
    Write(file, text);
    std::unique_lock<std::mutex> lock(mutex);
    if (!published.wait_for(lock, std::chrono::seconds(30),
                            [&] { return ServingHash(registry) != before; })) {
      std::cerr << "the new version did not serve within 30 s\n";
      return 1;
    }
    one.push_back(std::chrono::duration<double, std::milli>(Clock::now() - saved).count());
  }
  watcher.Stop();
  Report("1 disease: file saved -> serving (watched folder)", one);

  // 2. All diseases as one bundle through the deploy path.
  nlohmann::json bundle;
  if (!kijun::plugins::BuildBundle((root / "rules").string(), bundle, error)) {
    std::cerr << error << '\n';
    return 1;
  }
  kijun::plugins::DeployOptions options;
  options.require_signature = false;
  options.trusted_keys = (root / "keys").string();
  fs::create_directories(options.trusted_keys);
  options.staging = (root / "staging").string();
  std::vector<double> all;
  for (int i = 0; i < std::max(3, rounds / 4); ++i) {
    bundle["created"] = "round " + std::to_string(i);  // a new bundle each round
    auto received = Clock::now();
    kijun::plugins::DeployReport r = kijun::plugins::DeployBundle(registry, bundle.dump(), options);
    if (!r.refused.empty()) {
      std::cerr << r.refused << '\n' << r.publish.problems;
      return 1;
    }
    all.push_back(std::chrono::duration<double, std::milli>(Clock::now() - received).count());
  }
  Report(("bundle of all " + std::to_string(bundle["manifest"].size()) +
          " diseases: received -> serving")
             .c_str(),
         all);
  fs::remove_all(root);
  return 0;
}
