// The check_levels pass.

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace kijun::dsl
