// Rule coverage: which conditions a file's own tests exercise both ways.

#include "engine/rule_coverage.h"

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace kijun::engine {
namespace {

using testing_support::Compile;
using testing_support::Disease;

const char* kRules = R"(
section s "s" {
  item a "a" : answer
  item b "b" : answer
  item n "n" : integer 0..100
}
calc 高値 "高値" : boolean = n >= 50
calc 区分 "区分" : text = cases { n >= 80 -> "高"; n >= 20 -> "中"; else -> "低" }
diagnosis 診断 {
  level 確実 : a and b
  level 疑い : a
  level なし_ : otherwise
  qualifying 確実, 疑い
}
check 整合 warning "a がないのに b" : a or not b
)";

// What each condition's coverage reads as: "tf" both, "t-" only true,
// "-f" only false, "--" neither.
std::map<std::string, std::string> Seen(const FileCoverage& c) {
  std::map<std::string, std::string> out;
  for (const auto& k : c.conditions) {
    std::string key = k.owner + (k.level.empty() ? "" : "/" + k.level) + ":" + k.text;
    out[key] = std::string(k.seen_true ? "t" : "-") + (k.seen_false ? "f" : "-");
  }
  return out;
}

FileCoverage Measure(const std::string& tests) {
  auto c = Compile(Disease(std::string(kRules) + tests));
  EXPECT_TRUE(c.rules) << c.Rendered();
  return MeasureRuleCoverage(*c.program, *c.rules);
}

TEST(RuleCoverage, ListsEveryConditionWithWhatTheTestsMadeOfIt) {
  FileCoverage c = Measure(R"(
test "a だけ" {
  given { a: 該当, b: 非該当, n: 50 }
  expect 診断 = 疑い
}
)");
  EXPECT_EQ(c.tests, 1);
  auto seen = Seen(c);
  // The level's whole condition and each of its clauses.
  EXPECT_EQ(seen["診断/確実:a and b"], "-f");
  EXPECT_EQ(seen["診断/確実:a"], "t-");
  EXPECT_EQ(seen["診断/確実:b"], "-f");
  EXPECT_EQ(seen["診断/疑い:a"], "t-");
  // A yes/no calculation, the branches of cases (80 false, 20 true; the
  // else has no condition), and a check with its clauses.
  EXPECT_EQ(seen["高値:n >= 50"], "t-");
  EXPECT_EQ(seen["区分:n >= 80"], "-f");
  EXPECT_EQ(seen["区分:n >= 20"], "t-");
  EXPECT_EQ(seen["整合:a or not b"], "t-");
  // a holds, so the check never asks "not b".
  EXPECT_EQ(seen["整合:not b"], "--");
  EXPECT_EQ(c.Covered(), 0);
  EXPECT_EQ(c.Total(), 10);
}

TEST(RuleCoverage, UnknownCountsAsNeitherAndLaterBranchesAreNotSeen) {
  FileCoverage c = Measure(R"(
test "すべて不明" {
  given { a: 不明, b: 不明, n: 90 }
  expect 診断 = 不明
}
)");
  auto seen = Seen(c);
  EXPECT_EQ(seen["診断/確実:a and b"], "--");
  EXPECT_EQ(seen["診断/疑い:a"], "--");
  // n = 90 takes the first branch; the second is never asked.
  EXPECT_EQ(seen["区分:n >= 80"], "t-");
  EXPECT_EQ(seen["区分:n >= 20"], "--");
}

TEST(RuleCoverage, TestsTogetherCoverEveryConditionBothWays) {
  FileCoverage c = Measure(R"(
test "確実" {
  given { a: 該当, b: 該当, n: 90 }
  expect 診断 = 確実
}
test "なし" {
  given { a: 非該当, b: 該当, n: 10 }
  expect 診断 = なし_
  expect warning 整合
}
test "中間" {
  given { a: 該当, b: 非該当, n: 30 }
  expect 診断 = 疑い
}
)");
  EXPECT_EQ(c.Total() - c.Covered(), 1);
  EXPECT_EQ(Seen(c)["整合:not b"], "-f");
  c = Measure(R"(
test "確実" {
  given { a: 該当, b: 該当, n: 90 }
  expect 診断 = 確実
}
test "なし" {
  given { a: 非該当, b: 該当, n: 10 }
  expect 診断 = なし_
  expect warning 整合
}
test "中間" {
  given { a: 該当, b: 非該当, n: 30 }
  expect 診断 = 疑い
}
test "どちらもなし" {
  given { a: 非該当, b: 非該当, n: 30 }
  expect 診断 = なし_
}
)");
  EXPECT_EQ(c.Covered(), c.Total()) << CoverageToJson(c).dump(1);
  nlohmann::json j = CoverageToJson(c);
  EXPECT_EQ(j["covered"], c.Total());
  EXPECT_EQ(j["tests"], 4);
}

TEST(RuleCoverage, ConditionsOfImportedModulesBelongToTheModule) {
  auto c = Compile(Disease(R"(
import "diseases/scales/hoehn_yahr.kijun"
test "t" {
  given { Hoehn_Yahr: 3, 生活機能障害度: 2 }
  expect パーキンソン病重症度該当 = true
}
)"),
                   std::string(KIJUN_SOURCE_DIR) + "/x.kijun");
  ASSERT_TRUE(c.rules) << c.Rendered();
  FileCoverage coverage = MeasureRuleCoverage(*c.program, *c.rules);
  EXPECT_EQ(coverage.Total(), 0);
}

}  // namespace
}  // namespace kijun::engine

namespace kijun::engine {
namespace {

TEST(RuleCoverage, ConditionsThatCanNeverBeFalseAreLeftOut) {
  auto c = testing_support::Compile(testing_support::Disease(R"(
section s "s" {
  item a "a" : answer
  item b "b" : answer
}
calc 記入 "記入" : boolean = answered(a)
severity 重症度 {
  level 対象 : 記入
  level 対象外 : otherwise
  qualifying 対象
}
outcome 判定 {
  level 認定 : 重症度 and b
  level 非該当 : otherwise
}
test "t" {
  given { a: 該当, b: 該当 }
  expect 判定 = 認定
}
)"));
  ASSERT_TRUE(c.rules) << c.Rendered();
  FileCoverage coverage = MeasureRuleCoverage(*c.program, *c.rules);
  // Left: 認定's whole condition and its clause b; 記入, 対象 and the
  // clause 重症度 (qualifies only through a never-false level) are not.
  std::vector<std::string> texts;
  for (const auto& k : coverage.conditions) texts.push_back(k.text);
  EXPECT_EQ(texts, (std::vector<std::string>{"重症度 and b", "b"}));
}

}  // namespace
}  // namespace kijun::engine
