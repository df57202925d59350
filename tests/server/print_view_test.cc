// The print view: the access key and digest are shown, and every value is
// escaped so a form cannot inject markup into the page.

#include "server/print_view.h"

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace kijun::server {
namespace {

TEST(PrintView, ShowsKeyDigestAndAnswersEscaped) {
  auto c = testing_support::Compile(testing_support::Disease(R"(
section 所見 "所見" {
  item 症状 "症状" : text max 100
  item 程度 "程度" : choice { 1 "軽い", 2 "重い" }
}
)"));
  ASSERT_TRUE(c.rules) << c.Rendered();
  PrintedForm f;
  f.disease = "指定難病/999";
  f.disease_name = "テスト";
  f.variant = "新規";
  f.patient_name = "<script>alert(1)</script>";
  f.access_key = "7K2M-QX9D-4TAB-HR6E";
  f.digest = "sha256:0123456789abcdef0123456789abcdef0123";
  f.items = {{"症状", "a & b <b>"}, {"程度", 2}};
  f.judgment = {{"judgments", {{{"name", "診断"}, {"level", "Definite"}}}}};
  std::string html = RenderPrintView(*c.rules, f);
  EXPECT_NE(html.find("7K2M-QX9D-4TAB-HR6E"), std::string::npos);
  EXPECT_NE(html.find("0123 4567 89AB CDEF 0123 4567 89AB CDEF"), std::string::npos);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(html.find("a &amp; b &lt;b&gt;"), std::string::npos);
  EXPECT_NE(html.find("重い"), std::string::npos);  // the choice's label, not its code
  EXPECT_NE(html.find("Definite"), std::string::npos);
}

}  // namespace
}  // namespace kijun::server
