// The registry of disease modules: atomic publish, refusal of broken
// revisions, rollback, judging while publishing, memory over many cycles,
// and the watched folder.

#include "plugins/disease_registry.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "engine/interpreter.h"
#include "engine/jit/native_judge.h"
#include "plugins/rules_watcher.h"

namespace kijun::plugins {
namespace {

namespace fs = std::filesystem;

std::string Read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void Write(const fs::path& path, const std::string& text) {
  // Written beside and renamed into place, as editors and deploys do.
  fs::path temp = path;
  temp += ".tmp";
  {
    std::ofstream out(temp);
    out << text;
  }
  fs::rename(temp, path);
}

size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * size_t(sysconf(_SC_PAGESIZE));
}

// A rules folder with the shared scales and Parkinson's disease (006), and
// a second version of 006 whose only change is a label (a new content hash).
class Registry : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("kijun-registry-test-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "nanbyo");
    fs::copy(fs::path(KIJUN_SOURCE_DIR) / "diseases/scales", root_ / "scales",
             fs::copy_options::recursive);
    disease_ = root_ / "nanbyo/006_parkinson.kijun";
    v1_ = Read(fs::path(KIJUN_SOURCE_DIR) / "diseases/nanbyo/006_parkinson.kijun");
    v2_ = v1_;
    size_t at = v2_.find("\"パーキンソン病\"");
    v2_.replace(at, std::string("\"パーキンソン病\"").size(), "\"パーキンソン病 (改訂)\"");
    Write(disease_, v1_);
    SetJitCacheDirectory((root_ / "jit-cache").string());
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string ServingHash(const DiseaseRegistry& registry) {
    auto library = registry.Current();
    const engine::ir::RuleSet* rules = library->Find("指定難病/6", std::nullopt);
    return rules == nullptr ? "" : rules->content_hash;
  }

  fs::path root_, disease_;
  std::string v1_, v2_;
};

TEST_F(Registry, PublishesAFolderAndServesIt) {
  DiseaseRegistry registry;
  PublishReport report = registry.PublishFolder(root_.string());
  ASSERT_TRUE(report.published) << report.problems;
  EXPECT_EQ(report.versions, 1u);
  EXPECT_EQ(report.generation, 1u);
  ASSERT_EQ(report.published_versions.size(), 1u);
  EXPECT_EQ(report.published_versions[0], "指定難病/6 " + ServingHash(registry));
}

TEST_F(Registry, BrokenRevisionsAreRefusedAndTheOldOneKeepsServing) {
  DiseaseRegistry registry;
  ASSERT_TRUE(registry.PublishFolder(root_.string()).published);
  std::string serving = ServingHash(registry);
  struct Broken {
    std::string what, text, expect;
  };
  std::string failing_test = v1_;
  size_t at = failing_test.find("expect 診断のカテゴリー = Definite");
  ASSERT_NE(at, std::string::npos);
  failing_test.replace(at, std::string("expect 診断のカテゴリー = Definite").size(),
                       "expect 診断のカテゴリー = Probable");
  std::string type_error = v1_ + "\ncalc 壊れた計算 \"x\" : integer = Hoehn_Yahr + \"文字\"\n";
  std::vector<Broken> cases = {
      {"syntax error", v1_ + "\nlevel ??? :\n", "K101"},
      {"type error", type_error, "K3"},
      {"failing embedded test", failing_test, "test fails"},
  };
  for (const auto& c : cases) {
    Write(disease_, c.text);
    PublishReport report = registry.PublishFile(disease_.string());
    EXPECT_FALSE(report.published) << c.what;
    EXPECT_NE(report.problems.find(c.expect), std::string::npos) << c.what << ":\n"
                                                                 << report.problems;
    EXPECT_NE(report.problems.find("006_parkinson.kijun:"), std::string::npos) << c.what;
    EXPECT_EQ(ServingHash(registry), serving) << c.what;
    EXPECT_EQ(registry.generation(), 1u) << c.what;
    // The same through a whole-folder publish.
    EXPECT_FALSE(registry.PublishFolder(root_.string()).published) << c.what;
    EXPECT_EQ(ServingHash(registry), serving) << c.what;
  }
}

TEST_F(Registry, ANewVersionReplacesTheOldAndRollbackRestoresIt) {
  DiseaseRegistry registry;
  ASSERT_TRUE(registry.PublishFolder(root_.string()).published);
  std::string h1 = ServingHash(registry);
  Write(disease_, v2_);
  PublishReport report = registry.PublishFile(disease_.string());
  ASSERT_TRUE(report.published) << report.problems;
  std::string h2 = ServingHash(registry);
  EXPECT_NE(h1, h2);
  EXPECT_EQ(registry.Current()->size(), 1u);  // same disease and date: replaced
  std::string error;
  ASSERT_TRUE(registry.Rollback(error)) << error;
  EXPECT_EQ(ServingHash(registry), h1);
  // Nothing before the first publish to go back to.
  EXPECT_FALSE(registry.Rollback(error));
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(ServingHash(registry), h1);
}

TEST_F(Registry, JudgingGoesOnWhileVersionsArePublishedAndRolledBack) {
  DiseaseRegistry registry;
  ASSERT_TRUE(registry.PublishFolder(root_.string()).published);
  std::string h1 = ServingHash(registry);
  Write(disease_, v2_);
  ASSERT_TRUE(registry.PublishFile(disease_.string()).published);
  std::string h2 = ServingHash(registry);
  nlohmann::json items = {{"性別", "男"},          {"生年月日", "1950-05-01"},
                          {"発症年月", "2019-04"}, {"診断年月日", "2024-05-20"},
                          {"A-1", "該当"},         {"B-1", "該当"},
                          {"C-2", "なし"},         {"治療効果", "改善あり"},
                          {"Hoehn_Yahr", 3},       {"生活機能障害度", 2}};
  engine::FormInput form;
  form.disease = "指定難病/6";
  form.variant = "新規";
  form.date = 19875;  // 2024-06-01
  std::atomic<bool> stop{false};
  std::atomic<long> judged{0}, failed{0}, inconsistent{0};
  std::vector<std::thread> judges;
  judges.reserve(3);
  for (int t = 0; t < 3; ++t) {
    judges.emplace_back([&] {
      while (!stop) {
        auto library = registry.Current();
        const engine::ir::RuleSet* rules = library->Find(form.disease, form.date);
        if (rules == nullptr) {
          ++failed;
          continue;
        }
        std::unique_ptr<engine::jit::NativeJudge> judge;
        if (const auto* native = library->Native(rules)) {
          judge = std::make_unique<engine::jit::NativeJudge>(*rules, *native);
        }
        engine::Judgment j = engine::Judge(*rules, form, items, judge.get());
        const engine::ClassificationResult* d = j.Find("診断のカテゴリー");
        if (d == nullptr || d->level != 0 || !j.messages.empty()) ++failed;
        if (j.content_hash != h1 && j.content_hash != h2) ++inconsistent;
        if (j.rule_name != (j.content_hash == h1 ? "パーキンソン病" : "パーキンソン病 (改訂)")) {
          ++inconsistent;  // the result mixes two versions
        }
        ++judged;
      }
    });
  }
  std::string error;
  for (int i = 0; i < 100; ++i) {
    if (i % 2 == 0) {
      ASSERT_TRUE(registry.Rollback(error)) << error;
    } else {
      ASSERT_TRUE(registry.PublishFile(disease_.string()).published);
    }
  }
  stop = true;
  for (auto& t : judges) t.join();
  EXPECT_GT(judged.load(), 100);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(inconsistent.load(), 0);
}

TEST_F(Registry, MemoryStaysFlatOverAThousandPublishAndRollbackCycles) {
  DiseaseRegistry registry;
  ASSERT_TRUE(registry.PublishFolder(root_.string()).published);
  Write(disease_, v2_);
  std::string error;
  size_t after_warm_up = 0;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(registry.PublishFile(disease_.string()).published);
    ASSERT_TRUE(registry.Rollback(error)) << error;
    if (i == 99) after_warm_up = ResidentBytes();
  }
  size_t at_end = ResidentBytes();
  double grown_mb = (double(at_end) - double(after_warm_up)) / (1 << 20);
  std::cout << "RSS after 100 cycles " << after_warm_up / (1 << 20) << " MiB, after 1000 "
            << at_end / (1 << 20) << " MiB\n";
  EXPECT_LT(grown_mb, 16.0) << "resident memory grew by " << grown_mb << " MiB";
}

TEST_F(Registry, ASavedFileIsServingShortlyAfter) {
  DiseaseRegistry registry;
  ASSERT_TRUE(registry.PublishFolder(root_.string()).published);
  std::string h1 = ServingHash(registry);
  std::atomic<int> publishes{0};
  RulesWatcher watcher(root_.string(), [&](const std::vector<std::string>& paths) {
    registry.PublishChanges(root_.string(), paths);
    ++publishes;
  });
  std::string error;
  ASSERT_TRUE(watcher.Start(error)) << error;
  auto saved = std::chrono::steady_clock::now();
  Write(disease_, v2_);
  while (ServingHash(registry) == h1 &&
         std::chrono::steady_clock::now() - saved < std::chrono::seconds(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - saved).count();
  EXPECT_NE(ServingHash(registry), h1);
  std::cout << "saved to serving: " << ms << " ms\n";
  // A broken save is refused by the same path; the good version keeps serving.
  std::string h2 = ServingHash(registry);
  int before = publishes;
  Write(disease_, v1_ + "\nlevel ??? :\n");
  while (publishes == before &&
         std::chrono::steady_clock::now() - saved < std::chrono::seconds(20)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(ServingHash(registry), h2);
  watcher.Stop();
}

}  // namespace
}  // namespace kijun::plugins
