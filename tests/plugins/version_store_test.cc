// Superseded disease versions loaded on demand from the version store: a
// stub after publish, loaded by the first form of its period with its own
// content hash, compiled once however many threads race for it, unloaded
// when idle (held versions kept alive), kept by its source when the files
// change, a load failure failing only its forms, flat memory over load and
// unload cycles, and judging while publishes, rollbacks and sweeps run.

#include "plugins/version_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "dsl/calendar.h"
#include "engine/interpreter.h"
#include "engine/jit/native_judge.h"
#include "engine/judgment_render.h"
#include "plugins/disease_registry.h"

namespace kijun::plugins {
namespace {

namespace fs = std::filesystem;
using std::chrono::minutes;

std::string Read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void Write(const fs::path& path, const std::string& text) {
  fs::path temp = path;
  temp += ".tmp";
  {
    std::ofstream out(temp);
    out << text;
  }
  fs::rename(temp, path);
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * size_t(sysconf(_SC_PAGESIZE));
}

const nlohmann::json& ParkinsonItems() {
  static const nlohmann::json items = {{"性別", "男"},          {"生年月日", "1950-05-01"},
                                       {"発症年月", "2019-04"}, {"診断年月日", "2023-05-20"},
                                       {"A-1", "該当"},         {"B-1", "該当"},
                                       {"C-2", "なし"},         {"治療効果", "改善あり"},
                                       {"Hoehn_Yahr", 3},       {"生活機能障害度", 2}};
  return items;
}

// Judges a Parkinson's form dated `date` with what `library` serves for it.
engine::Judgment JudgeOn(const RuleLibrary& library, const std::string& date) {
  engine::FormInput form;
  form.disease = "指定難病/6";
  form.variant = "新規";
  form.date = dsl::ParseDate(date);
  const engine::ir::RuleSet* rules = library.Find(form.disease, form.date);
  EXPECT_NE(rules, nullptr);
  if (rules == nullptr) return {};
  std::unique_ptr<engine::jit::NativeJudge> judge;
  if (const auto* native = library.Native(rules)) {
    judge = std::make_unique<engine::jit::NativeJudge>(*rules, *native);
  }
  return engine::Judge(*rules, form, ParkinsonItems(), judge.get());
}

// A rules folder with the shared scales and two versions of Parkinson's
// disease (006): the one in force from 2024-04-01 and an older one in force
// from 2023-04-01 (another name, so another content hash). The registry runs
// on a test clock.
class VersionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("kijun-version-store-test-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "nanbyo");
    fs::copy(fs::path(KIJUN_SOURCE_DIR) / "diseases/scales", root_ / "scales",
             fs::copy_options::recursive);
    current_ = Read(fs::path(KIJUN_SOURCE_DIR) / "diseases/nanbyo/006_parkinson.kijun");
    older_ = Replace(current_, "effective 2024-04-01", "effective 2023-04-01");
    older_ = Replace(older_, "revision 2403", "revision 2303");
    older_ = Replace(older_, "\"パーキンソン病\"", "\"パーキンソン病 (2023)\"");
    Write(root_ / "nanbyo/006_parkinson.kijun", current_);
    Write(root_ / "nanbyo/006_parkinson_2023.kijun", older_);
    SetJitCacheDirectory((root_ / "jit-cache").string());
  }
  void TearDown() override { fs::remove_all(root_); }

  VersionStoreOptions Options() {
    VersionStoreOptions options;
    options.idle_period = minutes(10);
    options.clock = [this] { return Now(); };
    return options;
  }
  std::chrono::steady_clock::time_point Now() const {
    return std::chrono::steady_clock::time_point(std::chrono::seconds(seconds_.load()));
  }
  void Advance(std::chrono::seconds by) { seconds_ += by.count(); }

  // The serving snapshot's entry of the 2023 version.
  static std::shared_ptr<const DiseaseVersion> Older(const DiseaseRegistry& registry) {
    for (const auto& v : registry.Current()->versions()) {
      if (v->rules.effective == dsl::ParseDate("2023-04-01")) return v;
    }
    return nullptr;
  }

  fs::path root_;
  std::string current_, older_;
  std::atomic<int64_t> seconds_{1'000'000};
};

TEST_F(VersionStoreTest, ASupersededVersionIsAStubAfterPublish) {
  DiseaseRegistry registry(Engine::kJit, Options());
  PublishReport report = registry.PublishFolder(root_.string());
  ASSERT_TRUE(report.published) << report.problems;
  EXPECT_EQ(report.versions, 2u);
  EXPECT_EQ(report.published_versions.size(), 2u);  // both compiled and tested
  std::shared_ptr<const DiseaseVersion> older = Older(registry);
  ASSERT_NE(older, nullptr);
  EXPECT_TRUE(older->is_stub());
  EXPECT_FALSE(older->loaded());
  EXPECT_TRUE(older->has_native_code());
  EXPECT_EQ(older->stored->loads(), 0);
  EXPECT_TRUE(older->rules.items.empty());  // only the header is kept
  EXPECT_EQ(older->rules.name_ja, "パーキンソン病 (2023)");
  EXPECT_EQ(registry.store().loaded(), 0u);
  for (const auto& v : registry.Current()->versions()) {
    if (v != older) {
      EXPECT_TRUE(!v->is_stub() && v->loaded() && v->native != nullptr);
    }
  }
}

TEST_F(VersionStoreTest, ABrokenSupersededRevisionIsRefusedAtPublish) {
  DiseaseRegistry registry(Engine::kJit, Options());
  Write(
      root_ / "nanbyo/006_parkinson_2023.kijun",
      Replace(older_, "expect 診断のカテゴリー = Definite", "expect 診断のカテゴリー = Probable"));
  PublishReport report = registry.PublishFolder(root_.string());
  EXPECT_FALSE(report.published);
  EXPECT_NE(report.problems.find("006_parkinson_2023.kijun"), std::string::npos) << report.problems;
}

TEST_F(VersionStoreTest, AFormOfItsPeriodLoadsItWithItsContentHash) {
  DiseaseRegistry registry(Engine::kJit, Options());
  ASSERT_TRUE(registry.PublishFolder(root_.string()).published);
  std::shared_ptr<const DiseaseVersion> older = Older(registry);
  ASSERT_NE(older, nullptr);
  std::string published_hash = older->rules.content_hash;

  engine::Judgment j = JudgeOn(*registry.Current(), "2023-06-01");
  EXPECT_EQ(j.content_hash, published_hash);
  EXPECT_EQ(j.rule_name, "パーキンソン病 (2023)");
  EXPECT_TRUE(older->loaded());
  EXPECT_EQ(older->stored->loads(), 1);
  EXPECT_EQ(JudgeOn(*registry.Current(), "2023-12-31").content_hash, published_hash);
  EXPECT_EQ(older->stored->loads(), 1);  // loaded once
  EXPECT_EQ(JudgeOn(*registry.Current(), "2024-06-01").rule_name, "パーキンソン病");

  // The same judgment, byte for byte, as from the version compiled directly.
  RuleLibrary direct;
  dsl::SourceManager sources;
  dsl::Diagnostics diagnostics;
  direct.Load(root_.string(), sources, diagnostics, Engine::kJit);
  ASSERT_FALSE(diagnostics.HasErrors());
  const engine::ir::RuleSet* rules = direct.Find("指定難病/6", dsl::ParseDate("2023-06-01"));
  ASSERT_NE(rules, nullptr);
  EXPECT_EQ(engine::JudgmentToJson(*rules, JudgeOn(direct, "2023-06-01")).dump(),
            engine::JudgmentToJson(*rules, j).dump());
}

TEST_F(VersionStoreTest, ManyThreadsRacingOnTheFirstLoadCompileItOnce) {
  DiseaseRegistry registry(Engine::kJit, Options());
  ASSERT_TRUE(registry.PublishFolder(root_.string()).published);
  std::shared_ptr<const DiseaseVersion> older = Older(registry);
  ASSERT_NE(older, nullptr);
  constexpr int kThreads = 8;
  std::atomic<int> ready{0};
  std::vector<std::string> hashes(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ++ready;
      while (ready < kThreads) std::this_thread::yield();
      hashes[size_t(t)] = JudgeOn(*registry.Current(), "2023-06-01").content_hash;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& h : hashes) EXPECT_EQ(h, older->rules.content_hash);
  EXPECT_EQ(older->stored->loads(), 1);
}

TEST_F(VersionStoreTest, AnIdleVersionIsUnloadedAndLoadedAgainByALaterForm) {
  DiseaseRegistry registry(Engine::kJit, Options());
  ASSERT_TRUE(registry.PublishFolder(root_.string()).published);
  std::shared_ptr<const DiseaseVersion> older = Older(registry);
  ASSERT_NE(older, nullptr);
  JudgeOn(*registry.Current(), "2023-06-01");
  Advance(minutes(5));
  EXPECT_EQ(registry.UnloadIdle(Now()), 0u);
  JudgeOn(*registry.Current(), "2023-06-01");  // used again: idle from now
  Advance(minutes(9));
  EXPECT_EQ(registry.UnloadIdle(Now()), 0u);
  EXPECT_TRUE(older->loaded());

  // A request still holding the version keeps it (and its code) alive.
  std::string error;
  std::shared_ptr<const DiseaseVersion> held =
      registry.Current()->Acquire("指定難病/6", dsl::ParseDate("2023-06-01"), error);
  ASSERT_NE(held, nullptr) << error;
  std::weak_ptr<const DiseaseVersion> code = held;
  Advance(minutes(11));
  EXPECT_EQ(registry.UnloadIdle(Now()), 1u);
  EXPECT_FALSE(older->loaded());
  EXPECT_FALSE(code.expired());
  held.reset();
  EXPECT_TRUE(code.expired());  // released with its last holder

  engine::Judgment again = JudgeOn(*registry.Current(), "2023-06-01");
  EXPECT_EQ(again.content_hash, older->rules.content_hash);
  EXPECT_EQ(older->stored->loads(), 2);
}

TEST_F(VersionStoreTest, AVersionIsLoadedFromItsPublishedTextWhateverTheDiskSaysNow) {
  DiseaseRegistry registry(Engine::kJit, Options());
  ASSERT_TRUE(registry.PublishFolder(root_.string()).published);
  std::string published_hash = Older(registry)->rules.content_hash;
  // The module it imports rewritten, the file itself gone.
  fs::path module = root_ / "scales/keisho_kogaku.kijun";
  Write(module, Read(module) + "\n# changed after the publish\n");
  fs::remove(root_ / "nanbyo/006_parkinson_2023.kijun");
  engine::Judgment j = JudgeOn(*registry.Current(), "2023-06-01");
  EXPECT_EQ(j.content_hash, published_hash);
  EXPECT_EQ(j.rule_name, "パーキンソン病 (2023)");
}

TEST_F(VersionStoreTest, ALoadFailureFailsTheFormsOfThatVersionOnly) {
  DiseaseRegistry registry(Engine::kJit, Options());
  ASSERT_TRUE(registry.PublishFolder(root_.string()).published);
  std::string saved = getenv("TMPDIR") != nullptr ? getenv("TMPDIR") : "";
  // Loading lays the kept text out in a temporary folder: make that fail.
  setenv("TMPDIR", (root_ / "no-such-folder").c_str(), 1);
  auto library = registry.Current();
  try {
    library->Find("指定難病/6", dsl::ParseDate("2023-06-01"));
    ADD_FAILURE() << "no VersionLoadError";
  } catch (const VersionLoadError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot load version 指定難病/6 2023-04-01 sha256:"),
              std::string::npos)
        << e.what();
  }
  std::string error;
  EXPECT_EQ(library->Acquire("指定難病/6", dsl::ParseDate("2023-06-01"), error), nullptr);
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(JudgeOn(*library, "2024-06-01").rule_name, "パーキンソン病");  // the rest serves
  if (saved.empty()) {
    unsetenv("TMPDIR");
  } else {
    setenv("TMPDIR", saved.c_str(), 1);
  }
  EXPECT_EQ(JudgeOn(*registry.Current(), "2023-06-01").rule_name, "パーキンソン病 (2023)");
}

TEST_F(VersionStoreTest, RollbackSoonAfterAPublishReusesTheCodeAndLaterCompilesItAgain) {
  DiseaseRegistry registry(Engine::kJit, Options());
  ASSERT_TRUE(registry.PublishFolder(root_.string()).published);
  auto newest = [&registry] {
    for (const auto& v : registry.Current()->versions()) {
      if (!v->is_stub()) return v;
    }
    return std::shared_ptr<const DiseaseVersion>();
  };
  std::shared_ptr<const DiseaseVersion> first = newest();
  ASSERT_NE(first, nullptr);
  const DiseaseVersion* first_address = first.get();
  std::string first_hash = first->rules.content_hash;
  first.reset();
  fs::path file = root_ / "nanbyo/006_parkinson.kijun";
  Write(file, Replace(current_, "\"パーキンソン病\"", "\"パーキンソン病 (改訂)\""));

  ASSERT_TRUE(registry.PublishFile(file.string()).published);
  EXPECT_EQ(registry.store().loaded(), 1u);  // the replaced version, kept for the idle period
  std::string error;
  ASSERT_TRUE(registry.Rollback(error)) << error;
  EXPECT_EQ(newest().get(), first_address);  // the same code serves again: nothing compiled
  EXPECT_EQ(registry.store().loaded(), 0u);

  ASSERT_TRUE(registry.PublishFile(file.string()).published);
  Advance(minutes(11));
  EXPECT_EQ(registry.UnloadIdle(Now()), 1u);
  ASSERT_TRUE(registry.Rollback(error)) << error;
  std::shared_ptr<const DiseaseVersion> again = newest();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->rules.content_hash, first_hash);  // compiled again from its text
  EXPECT_EQ(JudgeOn(*registry.Current(), "2024-06-01").content_hash, first_hash);
  EXPECT_EQ(JudgeOn(*registry.Current(), "2023-06-01").rule_name, "パーキンソン病 (2023)");
}

TEST_F(VersionStoreTest, MemoryStaysFlatOverRepeatedLoadAndUnloadCycles) {
  DiseaseRegistry registry(Engine::kJit, Options());
  ASSERT_TRUE(registry.PublishFolder(root_.string()).published);
  std::shared_ptr<const DiseaseVersion> older = Older(registry);
  ASSERT_NE(older, nullptr);
  constexpr int kCycles = 500;
  size_t after_warm_up = 0;
  for (int i = 0; i < kCycles; ++i) {
    ASSERT_EQ(JudgeOn(*registry.Current(), "2023-06-01").content_hash, older->rules.content_hash);
    Advance(minutes(11));
    ASSERT_EQ(registry.UnloadIdle(Now()), 1u);
    if (i == 99) after_warm_up = ResidentBytes();
  }
  EXPECT_EQ(older->stored->loads(), kCycles);
  size_t at_end = ResidentBytes();
  double grown_mb = (double(at_end) - double(after_warm_up)) / (1 << 20);
  std::cout << "RSS after 100 load/unload cycles " << double(after_warm_up) / (1 << 20)
            << " MiB, after " << kCycles << " " << double(at_end) / (1 << 20) << " MiB\n";
  // A version loaded is about 50 KiB of heap and 15 KiB of JIT pages
  // (bench/README.md): keeping even only its code would grow by 6 MiB.
  EXPECT_LT(grown_mb, 3.0) << "resident memory grew by " << grown_mb << " MiB";
}

TEST_F(VersionStoreTest, JudgingGoesOnWhilePublishesRollbacksAndSweepsRun) {
  DiseaseRegistry registry(Engine::kJit, Options());
  ASSERT_TRUE(registry.PublishFolder(root_.string()).published);
  std::string older_hash = Older(registry)->rules.content_hash;
  fs::path file = root_ / "nanbyo/006_parkinson.kijun";
  Write(file, Replace(current_, "\"パーキンソン病\"", "\"パーキンソン病 (改訂)\""));
  std::atomic<bool> stop{false};
  std::atomic<long> judged{0}, wrong{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      while (!stop) {
        bool old_period = (judged + t) % 2 == 0;
        engine::Judgment j = JudgeOn(*registry.Current(), old_period ? "2023-06-01" : "2024-06-01");
        const engine::ClassificationResult* d = j.Find("診断のカテゴリー");
        if (d == nullptr || d->level != 0 || !j.messages.empty()) ++wrong;
        if (old_period && j.content_hash != older_hash) ++wrong;
        if (!old_period && j.rule_name.rfind("パーキンソン病", 0) != 0) ++wrong;
        ++judged;
      }
    });
  }
  threads.emplace_back([&] {  // the server's sweep, on a clock running fast
    while (!stop) {
      Advance(minutes(11));
      registry.UnloadIdle(Now());
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  std::string error;
  for (int i = 0; i < 40; ++i) {
    if (i % 2 == 0) {
      ASSERT_TRUE(registry.PublishFile(file.string()).published);
    } else {
      ASSERT_TRUE(registry.Rollback(error)) << error;
    }
  }
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_GT(judged.load(), 40);
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace kijun::plugins
