// The check_unused pass.

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace kijun::dsl {
namespace {

using testing_support::Compile;
using testing_support::Disease;

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
