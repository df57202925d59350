// The check_cycles pass.

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace kijun::dsl {
namespace {

using testing_support::Compile;
using testing_support::Disease;

TEST(CheckCycles, ReportsTheCycleAndOrdersTheRest) {
  auto cyclic = Compile(Disease("calc a = b + 1\ncalc b = c + 1\ncalc c = a + 1\n"));
  ASSERT_TRUE(cyclic.Has("K301"));
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
  EXPECT_TRUE(c.Has("K302"));
}

}  // namespace
}  // namespace kijun::dsl
