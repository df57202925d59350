// The named passes, one test group each.

#include <gtest/gtest.h>

#include "dsl/ast_dump.h"
#include "tests/test_support.h"

namespace kijun::dsl {
namespace {

using testing_support::Compile;
using testing_support::Disease;

bool Has(const testing_support::Compiled& c, const std::string& code) {
  for (const auto& d : c.diagnostics.all()) {
    if (d.code == code) return true;
  }
  return false;
}

// ---------------------------------------------------------------- resolve_names

TEST(ResolveNames, BindsItemsCalcsLevelsAndLoopVariables) {
  auto c = Compile(Disease(R"(
section s "s" { item a "a" : answer
  item l "l" : list 3 of integer }
calc n : integer = count(i in 1..3 : l[i] > 0)
diagnosis d { level X : a
  level Y : otherwise
  qualifying X }
outcome o { level P : d = X
  level Q : otherwise }
)"),
                   "test.kijun", "resolve_names");
  ASSERT_FALSE(c.diagnostics.HasErrors()) << c.Rendered();
  std::string dump = DumpProgram(*c.program);
  EXPECT_NE(dump.find("(name i :loop-var)"), std::string::npos) << dump;
  EXPECT_NE(dump.find("(name X :level)"), std::string::npos) << dump;
  EXPECT_NE(dump.find("(name d :classification)"), std::string::npos) << dump;
}

TEST(ResolveNames, SuggestsTheClosestName) {
  auto c = Compile(Disease(
      "section s \"s\" { item 生活機能障害度 \"x\" : integer }\ncalc y = 生活機能障害 + 1\n"));
  ASSERT_TRUE(Has(c, "K201"));
  EXPECT_NE(c.Rendered().find("「生活機能障害度」のことですか？"), std::string::npos)
      << c.Rendered();
  EXPECT_NE(c.Rendered().find("did you mean '生活機能障害度'?"), std::string::npos);
}

TEST(ResolveNames, HintsSpacesForSubtraction) {
  auto c = Compile(Disease("section s \"s\" { item X \"x\" : integer }\ncalc y = X-1\n"));
  ASSERT_TRUE(Has(c, "K201"));
  EXPECT_NE(c.Rendered().find("X - 1"), std::string::npos) << c.Rendered();
}

TEST(ResolveNames, RejectsDuplicatesAcrossModules) {
  auto c = Compile(Disease("section s \"s\" { item a \"a\" : answer }\ncalc a = 1\n"));
  EXPECT_TRUE(Has(c, "K202"));
}

TEST(ResolveNames, UnknownLevelAndVariant) {
  auto c = Compile(Disease(R"(
section s "s" { item a "a" : answer, required 継続 }
diagnosis d { level X : a
  level Y : otherwise
  qualifying Z }
)"));
  EXPECT_TRUE(Has(c, "K203"));
  EXPECT_TRUE(Has(c, "K207"));
}

// ---------------------------------------------------------------- check_cycles

TEST(CheckCycles, ReportsTheCycleAndOrdersTheRest) {
  auto cyclic = Compile(Disease("calc a = b + 1\ncalc b = c + 1\ncalc c = a + 1\n"));
  ASSERT_TRUE(Has(cyclic, "K301"));
  EXPECT_NE(cyclic.Rendered().find("a → b → c → a"), std::string::npos) << cyclic.Rendered();

  auto ordered = Compile(Disease("calc total = part * 2\ncalc part = 3\n"));
  ASSERT_TRUE(ordered.rules) << ordered.Rendered();
  EXPECT_EQ(ordered.rules->calcs[0].name, "part");
  EXPECT_EQ(ordered.rules->calcs[1].name, "total");
}

TEST(CheckCycles, ClassificationsReadOnlyEarlierOnes) {
  auto c = Compile(Disease(R"(
section s "s" { item a "a" : answer }
outcome o { level P : d
  level Q : otherwise }
diagnosis d { level X : a
  level Y : otherwise
  qualifying X }
)"));
  EXPECT_TRUE(Has(c, "K302"));
}

// ---------------------------------------------------------------- check_types

TEST(CheckTypes, ConditionsMustBeTruths) {
  auto c =
      Compile(Disease("section s \"s\" { item x \"x\" : integer }\ncheck k error \"m\" : x\n"));
  EXPECT_TRUE(Has(c, "K311"));
  EXPECT_NE(c.Rendered().find("x >= 3"), std::string::npos) << "hint shows a comparison";
}

TEST(CheckTypes, UnitsMustAgree) {
  auto c = Compile(Disease(R"(
section s "s" {
  item a "a" : decimal(1) "mg/dL"
  item b "b" : decimal(1) "g/dL"
}
calc x : decimal(1) = a + b
)"));
  EXPECT_TRUE(Has(c, "K330"));
  auto derived = Compile(Disease(R"(
section s "s" {
  item 体重 "体重" : decimal(1) "kg"
  item 身長 "身長" : decimal(1) "cm"
}
calc BMI : decimal(1) "kg/m2" = 体重 / (身長 / 100) ^ 2
)"));
  EXPECT_TRUE(derived.rules) << derived.Rendered();
}

TEST(CheckTypes, ChoicesCompareWithTheirCodesAndLabels) {
  auto ok =
      Compile(Disease("section s \"s\" { item 性別 \"性別\" : choice { 1 \"男\", 2 \"女\" } "
                      "}\ncalc f : boolean = 性別 = \"女\" or 性別 = 1\n"));
  EXPECT_TRUE(ok.rules) << ok.Rendered();
  auto bad =
      Compile(Disease("section s \"s\" { item 性別 \"性別\" : choice { 1 \"男\", 2 \"女\" } "
                      "}\ncalc f : boolean = 性別 = \"女性\"\n"));
  EXPECT_TRUE(Has(bad, "K333"));
}

TEST(CheckTypes, DecimalCalculationsDeclareTheirPlaces) {
  auto c = Compile(Disease("section s \"s\" { item x \"x\" : integer }\ncalc half = x / 2\n"));
  EXPECT_TRUE(Has(c, "K319"));
  auto integer =
      Compile(Disease("section s \"s\" { item x \"x\" : integer }\ncalc half : integer = x / 2\n"));
  EXPECT_TRUE(Has(integer, "K318"));
}

TEST(CheckTypes, FunctionArguments) {
  auto c = Compile(Disease("section s \"s\" { item d \"d\" : date }\ncalc a : integer = age(d)\n"));
  EXPECT_TRUE(Has(c, "K337"));
  auto r = Compile(Disease(
      "section s \"s\" { item x \"x\" : decimal(2) }\ncalc a : decimal(1) = round(x, x)\n"));
  EXPECT_TRUE(Has(r, "K339"));
}

TEST(CheckTypes, TestValuesFitTheirItems) {
  auto c = Compile(Disease(R"(
section s "s" { item a "a" : answer }
test "t" { given { a: 12.5 } }
)"));
  EXPECT_TRUE(Has(c, "K340"));
}

// ---------------------------------------------------------------- check_levels

TEST(CheckLevels, NothingAfterOtherwise) {
  auto c = Compile(Disease(R"(
section s "s" { item a "a" : answer }
diagnosis d { level X : otherwise
  level Y : a
  qualifying X }
)"));
  EXPECT_TRUE(Has(c, "K411"));
}

TEST(CheckLevels, SameConditionTwiceIsAWarning) {
  auto c = Compile(Disease(R"(
section s "s" { item a "a" : answer }
diagnosis d { level X : a
  level Y : a
  level Z : otherwise
  qualifying X }
)"));
  EXPECT_TRUE(Has(c, "K412"));
  EXPECT_FALSE(c.diagnostics.HasErrors());
}

TEST(CheckLevels, DiagnosisNeedsQualifying) {
  auto c = Compile(Disease(R"(
section s "s" { item a "a" : answer }
severity d { level X : a
  level Y : otherwise }
)"));
  EXPECT_TRUE(Has(c, "K413"));
}

// ---------------------------------------------------------------- check_unused

TEST(CheckUnused, WarnsAboutItemsNoRuleReads) {
  auto c = Compile(Disease(R"(
section s "s" {
  item a "a" : answer
  item b "b" : answer
  item memo "memo" : text max 100
}
calc x : boolean = a
)"));
  ASSERT_TRUE(c.rules) << c.Rendered();
  std::vector<std::string> warned;
  for (const auto& d : c.diagnostics.all()) {
    if (d.code == "K450") warned.push_back(d.message_en);
  }
  EXPECT_EQ(warned, (std::vector<std::string>{"item 'b' is not used by any rule"}));
}

}  // namespace
}  // namespace kijun::dsl
