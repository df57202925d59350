// The resolve_names pass.

#include <gtest/gtest.h>

#include "dsl/ast_dump.h"
#include "tests/test_support.h"

namespace kijun::dsl {
namespace {

using testing_support::Compile;
using testing_support::Disease;

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
  ASSERT_TRUE(c.Has("K201"));
  EXPECT_NE(c.Rendered().find("「生活機能障害度」のことですか？"), std::string::npos)
      << c.Rendered();
  EXPECT_NE(c.Rendered().find("did you mean '生活機能障害度'?"), std::string::npos);
}

TEST(ResolveNames, HintsSpacesForSubtraction) {
  auto c = Compile(Disease("section s \"s\" { item X \"x\" : integer }\ncalc y = X-1\n"));
  ASSERT_TRUE(c.Has("K201"));
  EXPECT_NE(c.Rendered().find("X - 1"), std::string::npos) << c.Rendered();
}

TEST(ResolveNames, RejectsDuplicatesAcrossModules) {
  auto c = Compile(Disease("section s \"s\" { item a \"a\" : answer }\ncalc a = 1\n"));
  EXPECT_TRUE(c.Has("K202"));
}

TEST(ResolveNames, UnknownLevelAndVariant) {
  auto c = Compile(Disease(R"(
section s "s" { item a "a" : answer, required 継続 }
diagnosis d { level X : a
  level Y : otherwise
  qualifying Z }
)"));
  EXPECT_TRUE(c.Has("K203"));
  EXPECT_TRUE(c.Has("K207"));
}

}  // namespace
}  // namespace kijun::dsl
