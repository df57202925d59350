// kijun fmt: canonical, idempotent, keeps comments, never changes meaning.

#include "dsl/formatter.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/ir_dump.h"
#include "tests/test_support.h"

namespace kijun::dsl {
namespace {

std::string Format(const std::string& text) {
  SourceManager sources;
  Diagnostics d;
  std::string out;
  EXPECT_TRUE(FormatRuleFile(*sources.Add("t.kijun", text), d, out));
  return out;
}

// The IR without its first line (which holds the content hash).
std::string Meaning(const std::string& text) {
  auto c = testing_support::Compile(text);
  EXPECT_TRUE(c.rules) << c.Rendered();
  if (!c.rules) return {};
  std::string dump = engine::DumpRuleSet(*c.rules);
  return dump.substr(dump.find('\n') + 1);
}

constexpr const char* kMessy = R"(# 先頭のコメント
disease   指定難病 999 "テスト"
variants 新規,更新
section s "s" {
  # 項目の前のコメント
  item a "a":answer,required 新規   # 行末のコメント
  item x "x" : decimal(1)   0.0..10.0 "mg/dL"
}
calc y : decimal(1) = ( x*2 ) + 1 ^ -1.5
calc z : boolean = not (a and x > 1) or a
diagnosis d { level X : a
  level Y : otherwise
  qualifying X }
test "t" { given { a: 該当, x: 1.5 } expect d = X
  # テストの中のコメント
}
# 次のテストの前のコメント
test "u" { given { a: 非該当 } expect d = Y }
)";

TEST(Formatter, IsIdempotentAndKeepsComments) {
  std::string once = Format(kMessy);
  EXPECT_EQ(Format(once), once);
  EXPECT_NE(once.find("# 先頭のコメント\ndisease 指定難病 999"), std::string::npos) << once;
  EXPECT_NE(
      once.find(
          "  # 項目の前のコメント\n  item a \"a\" : answer, required 新規  # 行末のコメント\n"),
      std::string::npos)
      << once;
  EXPECT_NE(once.find("calc y : decimal(1) = x * 2 + 1 ^ -1.5\n"), std::string::npos) << once;
  EXPECT_NE(once.find("calc z : boolean = not (a and x > 1) or a\n"), std::string::npos) << once;
  EXPECT_NE(once.find("decimal(1) 0.0..10.0 \"mg/dL\""), std::string::npos) << once;
  EXPECT_NE(once.find("  # テストの中のコメント\n}\n\n# 次のテストの前のコメント\ntest \"u\""),
            std::string::npos)
      << once;
}

TEST(Formatter, NeverChangesMeaning) { EXPECT_EQ(Meaning(Format(kMessy)), Meaning(kMessy)); }

TEST(Formatter, RuleFilesInDiseasesAreFormatted) {
  namespace fs = std::filesystem;
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(KIJUN_SOURCE_DIR "/diseases")) {
    if (entry.path().extension() != ".kijun") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(Format(text.str()), text.str()) << entry.path() << ": run kijun fmt";
    ++files;
  }
  EXPECT_GT(files, 0);
}

}  // namespace
}  // namespace kijun::dsl
