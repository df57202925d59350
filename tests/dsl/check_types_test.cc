// The check_types pass.

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace kijun::dsl {
namespace {

using testing_support::Compile;
using testing_support::Disease;

TEST(CheckTypes, ConditionsMustBeTruths) {
  auto c =
      Compile(Disease("section s \"s\" { item x \"x\" : integer }\ncheck k error \"m\" : x\n"));
  EXPECT_TRUE(c.Has("K311"));
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
  EXPECT_TRUE(c.Has("K330"));
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
  EXPECT_TRUE(bad.Has("K333"));
}

TEST(CheckTypes, DecimalCalculationsDeclareTheirPlaces) {
  auto c = Compile(Disease("section s \"s\" { item x \"x\" : integer }\ncalc half = x / 2\n"));
  EXPECT_TRUE(c.Has("K319"));
  auto integer =
      Compile(Disease("section s \"s\" { item x \"x\" : integer }\ncalc half : integer = x / 2\n"));
  EXPECT_TRUE(integer.Has("K318"));
}

TEST(CheckTypes, FunctionArguments) {
  auto c = Compile(Disease("section s \"s\" { item d \"d\" : date }\ncalc a : integer = age(d)\n"));
  EXPECT_TRUE(c.Has("K337"));
  auto r = Compile(Disease(
      "section s \"s\" { item x \"x\" : decimal(2) }\ncalc a : decimal(1) = round(x, x)\n"));
  EXPECT_TRUE(r.Has("K339"));
}

TEST(CheckTypes, TestValuesFitTheirItems) {
  auto c = Compile(Disease(R"(
section s "s" { item a "a" : answer }
test "t" { given { a: 12.5 } }
)"));
  EXPECT_TRUE(c.Has("K340"));
}

TEST(CheckTypes, UnknownTakesTheTypeOfItsBranch) {
  auto ok = Compile(Disease(R"(
section s "s" { item x "x" : decimal(1) }
calc y : decimal(1) = if x > 1 then x * 2 else 不明
calc z : boolean = cases { x > 5 -> 不明; else -> true }
)"));
  ASSERT_TRUE(ok.rules) << ok.Rendered();
  EXPECT_EQ(ok.rules->calcs[0].kind, engine::ir::ValueKind::kNumber);
  auto bad = Compile(Disease(
      "section s \"s\" { item x \"x\" : integer }\ncalc y = if x > 1 then 不明 else 不明\n"));
  EXPECT_TRUE(bad.Has("K343"));
}

}  // namespace
}  // namespace kijun::dsl
