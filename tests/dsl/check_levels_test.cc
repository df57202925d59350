// The check_levels pass.

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace kijun::dsl {
namespace {

using testing_support::Compile;
using testing_support::Disease;

TEST(CheckLevels, NothingAfterOtherwise) {
  auto c = Compile(Disease(R"(
section s "s" { item a "a" : answer }
diagnosis d { level X : otherwise
  level Y : a
  qualifying X }
)"));
  EXPECT_TRUE(c.Has("K411"));
}

TEST(CheckLevels, SameConditionTwiceIsAWarning) {
  auto c = Compile(Disease(R"(
section s "s" { item a "a" : answer }
diagnosis d { level X : a
  level Y : a
  level Z : otherwise
  qualifying X }
)"));
  EXPECT_TRUE(c.Has("K412"));
  EXPECT_FALSE(c.diagnostics.HasErrors());
}

TEST(CheckLevels, DiagnosisNeedsQualifying) {
  auto c = Compile(Disease(R"(
section s "s" { item a "a" : answer }
severity d { level X : a
  level Y : otherwise }
)"));
  EXPECT_TRUE(c.Has("K413"));
}

}  // namespace
}  // namespace kijun::dsl
