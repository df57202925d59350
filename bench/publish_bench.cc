// Time from "rule file saved" to "serving", for one disease through the
// watched rules folder, and for a bundle of every disease through the
// deploy path (verify → extract → manifest → check, compile, test → swap).
// A CLI mode, not a Google Benchmark: each figure is a wall-clock interval
// of the real path, repeated, with the median and the worst reported.
// With --lazy, instead: superseded versions loaded on demand from the
// version store (time of a first load, resident memory with all versions
// loaded and with the superseded ones as stubs).
//
//   build/bench/publish_bench [--rounds N] [--jit-cache DIR]
//   build/bench/publish_bench --lazy [--jit-cache DIR]

#include <malloc.h>
#include <unistd.h>

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
#include "plugins/version_source.h"

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

double Milliseconds(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

// Resident memory and heap in use, in MiB; freed heap is handed back to the
// system first so that what was released counts as released. The JIT's code
// is mapped outside the heap, so only the first sees it.
struct Memory {
  double resident = 0;
  double heap = 0;
};

Memory MemoryNow() {
  ::malloc_trim(0);
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return {double(resident) * double(sysconf(_SC_PAGESIZE)) / (1 << 20),
          double(::mallinfo2().uordblks) / (1 << 20)};
}

// Every disease of diseases/ twice: as it is (in force from 2024-04-01) and
// an older copy in force from 2023-04-01, which the newer one supersedes.
// Publishes them, then loads each older version with the first form of its
// period.
int LazyLoading(const fs::path& root, bool cached) {
  fs::path rules = root / "rules";
  for (const auto& path : kijun::plugins::FindRuleFiles({rules.string()})) {
    std::string text = Read(path);
    size_t at = text.find("\neffective 2024-04-01\n");
    if (at == std::string::npos) continue;  // a module
    text.replace(at, std::strlen("\neffective 2024-04-01\n"), "\neffective 2023-04-01\n");
    Write(fs::path(path).replace_extension(".2023.kijun"), text);
  }
  Memory before = MemoryNow();
  kijun::plugins::DiseaseRegistry registry(kijun::plugins::Engine::kJit);
  auto start = Clock::now();
  kijun::plugins::PublishReport report = registry.PublishFolder(rules.string());
  if (!report.published) {
    std::cerr << report.problems;
    return 1;
  }
  double publish_ms = Milliseconds(start);
  std::vector<std::shared_ptr<const kijun::plugins::DiseaseVersion>> stubs;
  for (const auto& v : registry.Current()->versions()) {
    if (v->is_stub()) stubs.push_back(v);
  }
  Memory lazy = MemoryNow();
  std::printf("%zu disease versions published in %.0f ms, %zu of them superseded (stubs)\n",
              report.versions, publish_ms, stubs.size());

  // The first form of each older version's period loads it; the libraries
  // are held, as requests would, so that all stay loaded.
  std::vector<double> first_load, front_end;
  std::vector<std::shared_ptr<const kijun::plugins::RuleLibrary>> held;
  for (const auto& stub : stubs) {
    std::string error;
    auto compile = Clock::now();
    if (!kijun::plugins::CompileFromSource(*stub->source, error)) {
      std::cerr << error << '\n';
      return 1;
    }
    front_end.push_back(Milliseconds(compile));
    held.push_back(registry.Current());
    auto asked = Clock::now();
    const auto* loaded = held.back()->Find(stub->rules.DiseaseKey(), *stub->rules.effective + 60);
    first_load.push_back(Milliseconds(asked));
    if (loaded == nullptr || loaded->content_hash != stub->rules.content_hash) {
      std::cerr << stub->rules.DiseaseKey() << ": the older version did not serve\n";
      return 1;
    }
  }
  Memory all_loaded = MemoryNow();
  held.clear();
  size_t unloaded = registry.UnloadIdle(Clock::now() + registry.idle_period());
  Memory after_unload = MemoryNow();

  const char* how = cached ? "from the object cache" : "cold JIT";
  Report((std::string("first load of a superseded version (") + how + ")").c_str(), first_load);
  Report("  of which front end (parse, check, lower the kept text)", front_end);
  auto print = [](const std::string& what, const Memory& m) {
    std::printf("  %-48s resident %6.1f MiB   heap in use %6.1f MiB\n", what.c_str(), m.resident,
                m.heap);
  };
  std::printf("memory:\n");
  print("before publishing", before);
  print("published, superseded versions as stubs", lazy);
  print("all " + std::to_string(stubs.size()) + " superseded versions loaded", all_loaded);
  print("after the idle sweep (" + std::to_string(unloaded) + " unloaded)", after_unload);
  double count = double(std::max<size_t>(1, stubs.size()));
  std::printf("  each loaded version: %.0f KiB resident, %.0f KiB heap\n",
              (all_loaded.resident - lazy.resident) * 1024 / count,
              (all_loaded.heap - lazy.heap) * 1024 / count);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 20;
  std::string cache;
  bool lazy = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--lazy") == 0) lazy = true;
    if (i + 1 == argc) break;
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::max(1, std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--jit-cache") == 0) cache = argv[i + 1];
  }
  fs::path root = fs::temp_directory_path() / ("kijun-publish-bench-" + std::to_string(getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  fs::copy(fs::path(KIJUN_SOURCE_DIR) / "diseases", root / "rules", fs::copy_options::recursive);
  kijun::plugins::SetJitCacheDirectory(cache);
  if (lazy) {
    int status = LazyLoading(root, !cache.empty());
    fs::remove_all(root);
    return status;
  }

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
