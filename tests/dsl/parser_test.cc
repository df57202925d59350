// The parser: every construct reaches the syntax tree; syntax errors are
// all collected with positions; no input crashes or hangs it.

#include "dsl/parser.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/test_support.h"

namespace kijun::dsl {
namespace {

std::unique_ptr<ast::RuleFile> Parse(const std::string& text, Diagnostics& diagnostics,
                                     SourceManager& sources) {
  return ParseRuleFile(*sources.Add("t.kijun", text), diagnostics);
}

TEST(Parser, HeaderAndDeclarations) {
  SourceManager sources;
  Diagnostics d;
  auto file = Parse(R"(disease 指定難病 6 "パーキンソン病" en "Parkinson's disease"
revision 2403
effective 2024-04-01
variants 新規, 更新
source "資料" url "https://example.org" dated 2022-05-16
import "a.kijun"
section 診断 "診断基準" {
  item A-1 "パーキンソニズム" en "Parkinsonism" : answer, required 新規
  item 費用 "費用" : list 12 of integer 0..100000000 "円"
  group 治療歴 "治療歴" repeat 0..5 {
    item 薬剤 "薬剤" : text max 40
  }
}
calc 合計 : integer = sum(費用)
check 順序 error "メッセージ" en "message" : 合計 >= 0
diagnosis 診断 { level X : A-1
  level Y : otherwise
  qualifying X }
table 表 rows ("a") columns ("b") { "c"; }
test "例" { variant 新規 dated 2024-06-01 given { A-1: 該当 } expect 診断 = X }
)",
                    d, sources);
  EXPECT_FALSE(d.HasErrors()) << (d.all().empty() ? "" : Render(d.all()[0]));
  EXPECT_EQ(file->programme, "指定難病");
  EXPECT_EQ(file->number, "6");
  EXPECT_EQ(file->name_en, "Parkinson's disease");
  EXPECT_EQ(file->revision, 2403);
  EXPECT_EQ(file->variants, (std::vector<std::string>{"新規", "更新"}));
  ASSERT_EQ(file->sources.size(), 1u);
  EXPECT_EQ(file->sources[0].url, "https://example.org");
  ASSERT_EQ(file->sections.size(), 1u);
  const auto& items = file->sections[0]->items;
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0]->name, "A-1");
  EXPECT_EQ(items[0]->required_variants, (std::vector<std::string>{"新規"}));
  EXPECT_EQ(items[1]->type.kind, ast::ItemKind::kList);
  EXPECT_EQ(items[1]->type.list_size, 12);
  EXPECT_EQ(items[1]->type.element->unit, "円");
  ASSERT_EQ(file->sections[0]->groups.size(), 1u);
  EXPECT_EQ(file->sections[0]->groups[0]->max_entries, 5);
  EXPECT_EQ(file->calcs.size(), 1u);
  EXPECT_EQ(file->checks.size(), 1u);
  EXPECT_EQ(file->classifications[0]->qualifying, (std::vector<std::string>{"X"}));
  EXPECT_EQ(file->tables[0]->cells[0][0].text, "c");
  ASSERT_EQ(file->tests.size(), 1u);
  EXPECT_EQ(file->tests[0].expectations[0].level, "X");
}

TEST(Parser, ItemCodesAreOneNameAndSubtractionNeedsSpaces) {
  SourceManager sources;
  Diagnostics d;
  auto file = Parse("module m\ncalc x = A-1 - 1\ncalc y = A - 1\n", d, sources);
  ASSERT_FALSE(d.HasErrors());
  const auto& x = *file->calcs[0]->expr;
  EXPECT_EQ(x.op, "-");
  EXPECT_EQ(x.args[0]->name, "A-1");
  EXPECT_EQ(file->calcs[1]->expr->args[0]->name, "A");
}

TEST(Parser, PrecedenceAndAssociativity) {
  SourceManager sources;
  Diagnostics d;
  auto file = Parse(
      "module m\ncalc x = not a and b or c\ncalc y = -2 ^ 2\ncalc z = 2 ^ 3 ^ 2\ncalc w = 10 - 3 - "
      "2\n",
      d, sources);
  ASSERT_FALSE(d.HasErrors());
  const auto& x = *file->calcs[0]->expr;  // ((not a) and b) or c
  EXPECT_EQ(x.op, "or");
  EXPECT_EQ(x.args[0]->op, "and");
  EXPECT_EQ(x.args[0]->args[0]->kind, ast::ExprKind::kNot);
  EXPECT_EQ(file->calcs[1]->expr->kind, ast::ExprKind::kNegate);  // -(2^2)
  const auto& z = *file->calcs[2]->expr;                          // 2 ^ (3 ^ 2)
  EXPECT_EQ(z.args[1]->op, "^");
  const auto& w = *file->calcs[3]->expr;  // (10 - 3) - 2
  EXPECT_EQ(w.args[0]->op, "-");
}

TEST(Parser, CollectsEverySyntaxErrorWithItsPosition) {
  SourceManager sources;
  Diagnostics d;
  Parse("disease 指定難病 1 \"x\"\ncalc a = 1 +\ncalc b ＝ 2\ncalc c = 3\n", d, sources);
  auto all = d.Sorted();
  ASSERT_GE(all.size(), 2u);
  EXPECT_EQ(all[0].code, "K107");    // "1 +" is unfinished: blamed on its own line,
  EXPECT_EQ(all[0].where.line, 2u);  // not on the next line's `calc`
  EXPECT_EQ(all[0].where.column, 13u);
  bool full_width = false;
  for (const auto& diagnostic : all) full_width = full_width || diagnostic.code == "K102";
  EXPECT_TRUE(full_width) << "the full-width ＝ gets its own hint";
}

TEST(Parser, InvalidDatesAreReported) {
  SourceManager sources;
  Diagnostics d;
  Parse("module m\ncalc a = 2024-02-30\ncalc b = 2024-13\n", d, sources);
  ASSERT_EQ(d.all().size(), 2u);
  EXPECT_EQ(d.all()[0].code, "K105");
  EXPECT_EQ(d.all()[0].where.line, 2u);
  EXPECT_EQ(d.all()[1].where.line, 3u);
}

TEST(Parser, RefusesExpressionsTooDeepToParseSafely) {
  SourceManager sources;
  Diagnostics d;
  std::string long_and = "module m\ncalc x : boolean = a";
  for (int i = 0; i < 1500; ++i) long_and += " and a";
  Parse(long_and, d, sources);
  ASSERT_EQ(d.all().size(), 1u);
  EXPECT_EQ(d.all()[0].code, "K108");
  Diagnostics d2;
  Parse("module m\ncalc x = " + std::string(5000, '(') + "1\n", d2, sources);
  ASSERT_EQ(d2.all().size(), 1u);
  EXPECT_EQ(d2.all()[0].code, "K108");
}

TEST(Parser, RefusesFilesThatAreNotUtf8) {
  SourceManager sources;
  Diagnostics d;
  Parse("module m\ncalc x = 1 # \x82\xa0\n", d, sources);
  ASSERT_EQ(d.all().size(), 1u);
  EXPECT_EQ(d.all()[0].code, "K106");
  EXPECT_EQ(d.all()[0].where.line, 2u);
  EXPECT_EQ(d.all()[0].where.column, 14u);
}

// Random token soup and random bytes: the parser must return, never crash.
TEST(Parser, NeverCrashesOnGarbage) {
  const std::vector<std::string> pieces = {
      "disease",    "module",     "section", "item", "calc",     "check",  "diagnosis", "level",
      "otherwise",  "qualifying", "table",   "test", "given",    "expect", "{",         "}",
      "(",          ")",          "[",       "]",    ":",        ",",      ";",         "=",
      "->",         "..",         "+",       "-",    "*",        "/",      "^",         "and",
      "or",         "not",        "if",      "then", "else",     "at",     "least",     "of",
      "cases",      "lookup",     "A-1",     "年齢", "\"文字\"", "\"",     "12",        "3.5",
      "2024-04-01", "2024-04",    "該当",    "不明", "＝",       "\n",     " ",         "#c\n",
      "\xff",       "\xe3\x81"};
  std::mt19937 rng(20261125);
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    size_t length = rng() % 60;
    for (size_t i = 0; i < length; ++i)
      text += pieces[rng() % pieces.size()] + (rng() % 2 ? " " : "");
    if (round % 3 == 0) {
      for (size_t i = 0; i < 20; ++i) text += static_cast<char>(rng() % 256);
    }
    SourceManager sources;
    Diagnostics d;
    auto program = LoadProgramFromText("fuzz.kijun", text, sources, d);
    RunFrontEnd(*program, d);
    for (const auto& diagnostic : d.all()) Render(diagnostic);
  }
  SUCCEED();
}

}  // namespace
}  // namespace kijun::dsl
