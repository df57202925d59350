// Kleene's three-valued logic and the interval comparisons behind
// "unknown is never silently false".

#include <gtest/gtest.h>

#include "engine/value.h"
#include "tests/test_support.h"

namespace kijun::engine {
namespace {

constexpr Truth T = Truth::kTrue;
constexpr Truth F = Truth::kFalse;
constexpr Truth U = Truth::kUnknown;

TEST(ThreeValuedLogic, AndTruthTable) {
  const Truth table[3][3] = {{F, F, F}, {F, T, U}, {F, U, U}};
  const Truth values[3] = {F, T, U};
  for (int a = 0; a < 3; ++a) {
    for (int b = 0; b < 3; ++b) {
      EXPECT_EQ(And(values[a], values[b]), table[a][b])
          << TruthName(values[a]) << " and " << TruthName(values[b]);
    }
  }
}

TEST(ThreeValuedLogic, OrTruthTable) {
  const Truth table[3][3] = {{F, T, U}, {T, T, T}, {U, T, U}};
  const Truth values[3] = {F, T, U};
  for (int a = 0; a < 3; ++a) {
    for (int b = 0; b < 3; ++b) {
      EXPECT_EQ(Or(values[a], values[b]), table[a][b])
          << TruthName(values[a]) << " or " << TruthName(values[b]);
    }
  }
}

TEST(ThreeValuedLogic, NotTruthTable) {
  EXPECT_EQ(Not(T), F);
  EXPECT_EQ(Not(F), T);
  EXPECT_EQ(Not(U), U);
}

// The same tables, through the language: answers 該当 / 非該当 / 不明.
class LanguageTruthTable : public testing::Test {
 protected:
  void SetUp() override {
    compiled_ = testing_support::Compile(testing_support::Disease(R"(
section s "s" {
  item a "a" : answer
  item b "b" : answer
}
calc 且つ : boolean = a and b
calc 又は : boolean = a or b
calc 否定 : boolean = not a
calc 比較 : boolean = a = b
)"));
    ASSERT_TRUE(compiled_.rules) << compiled_.Rendered();
  }

  nlohmann::json Value(const std::string& calc, const char* a, const char* b) {
    nlohmann::json items = {{"a", a}, {"b", b}};
    Judgment j = testing_support::JudgeItems(*compiled_.rules, items);
    int slot = compiled_.rules->FindCalc(calc);
    const auto& v = j.calcs[size_t(slot)].value;
    if (v.truth == Truth::kUnknown) return nullptr;
    return v.truth == Truth::kTrue;
  }

  testing_support::Compiled compiled_;
};

TEST_F(LanguageTruthTable, Answers) {
  const char* answers[3] = {"非該当", "該当", "不明"};
  const nlohmann::json f = false, t = true, u = nullptr;
  const nlohmann::json and_table[3][3] = {{f, f, f}, {f, t, u}, {f, u, u}};
  const nlohmann::json or_table[3][3] = {{f, t, u}, {t, t, t}, {u, t, u}};
  for (int a = 0; a < 3; ++a) {
    for (int b = 0; b < 3; ++b) {
      EXPECT_EQ(Value("且つ", answers[a], answers[b]), and_table[a][b])
          << answers[a] << " and " << answers[b];
      EXPECT_EQ(Value("又は", answers[a], answers[b]), or_table[a][b])
          << answers[a] << " or " << answers[b];
    }
  }
  EXPECT_EQ(Value("否定", "不明", "該当"), u);
  EXPECT_EQ(Value("否定", "非該当", "該当"), t);
  // Comparing with an unknown is unknown, even comparing unknown with unknown.
  EXPECT_EQ(Value("比較", "不明", "不明"), u);
  EXPECT_EQ(Value("比較", "該当", "該当"), t);
}

TEST(IntervalComparison, DecidedOnlyWhenTheRangeDecidesIt) {
  auto c = testing_support::Compile(testing_support::Disease(R"(
section s "s" {
  item x "x" : integer 0..5
}
calc 三以上 : boolean = x >= 3
calc 六以上 : boolean = x >= 6
calc 零以上 : boolean = x >= 0
)"));
  ASSERT_TRUE(c.rules) << c.Rendered();
  Judgment j = testing_support::JudgeItems(*c.rules, nlohmann::json::object());
  EXPECT_EQ(j.calcs[0].value.truth, U);  // 0..5 >= 3 could go either way
  EXPECT_EQ(j.calcs[1].value.truth, F);  // 0..5 can never reach 6
  EXPECT_EQ(j.calcs[2].value.truth, T);  // 0..5 is always at least 0
}

}  // namespace
}  // namespace kijun::engine
