// The direct JSON writer against the document rendering: for random forms of
// every rule file (with names, messages and values holding quotes,
// backslashes, control characters and non-ASCII text), the bytes must be
// exactly JudgmentToJson(…).dump(-1, ' ', false).

#include "engine/judgment_writer.h"

#include <gtest/gtest.h>

#include "engine/interpreter.h"
#include "engine/judgment_render.h"
#include "engine/random_forms.h"
#include "tests/test_support.h"

namespace kijun::engine {
namespace {

using nlohmann::json;

constexpr int kFormsPerFile = 300;

TEST(JsonString, EscapesAsNlohmannDoes) {
  std::string text = "a\"b\\c\b\f\n\r\t\x01\x1f\x7f/日本語 é";
  std::string out;
  WriteJsonString(text, out);
  EXPECT_EQ(out, json(text).dump(-1, ' ', false));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u001f\x7f/日本語 é\"");
}

TEST(JudgmentWriter, OddTextsAndNumbers) {
  ir::RuleSet rules;
  ir::Calc whole;
  whole.name = "整数";
  whole.integer = true;
  ir::Calc decimal;
  decimal.name = "小数";
  ir::Calc text;
  text.name = "文";
  text.kind = ir::ValueKind::kText;
  rules.calcs = {whole, decimal, text};
  Judgment j;
  j.id = "F\"1\n";
  j.disease = "指定難病/6";
  j.rule_name = "名\\前";
  j.revision = 2403;
  j.content_hash = "sha256:00";
  j.messages.push_back({false, MessageSource::kCheck, "c\t", "日\x02", "en"});
  j.calcs = {{"整数", Value::OfNumber(Number::Exact(-12))},
             {"小数", Value::OfNumber(Number::Exact(18.75))},
             {"文", Value::OfText("x\"y")}};
  std::string out;
  WriteJudgmentJson(rules, j, out);
  EXPECT_EQ(out, JudgmentToJson(rules, j).dump(-1, ' ', false));
  for (double v : {1e21, 1e-7, 0.1, 123456789012345678.0, -0.0, 3.0}) {
    j.calcs[1].value = Value::OfNumber(Number::Exact(v));
    out.clear();
    WriteJudgmentJson(rules, j, out);
    EXPECT_EQ(out, JudgmentToJson(rules, j).dump(-1, ' ', false)) << v;
  }
}

class JudgmentWriterOnRules : public testing::TestWithParam<std::string> {};

TEST_P(JudgmentWriterOnRules, SameBytesAsTheDocumentRendering) {
  std::string load_error;
  auto loaded = testing_support::LoadRules(GetParam(), load_error);
  ASSERT_TRUE(loaded) << load_error;
  const ir::RuleSet& rules = *loaded;
  RandomForms random(rules, std::hash<std::string>{}(GetParam()) + 3);
  for (int n = 0; n < kFormsPerFile; ++n) {
    FormInput form;
    form.id = "F" + std::to_string(n);
    form.variant = random.Variant();
    if (n % 4 != 0) form.date = 18000 + int64_t(n % 3000);
    Judgment j = Judge(rules, form, random.Next());
    std::string out;
    WriteJudgmentJson(rules, j, out);
    ASSERT_EQ(out, JudgmentToJson(rules, j).dump(-1, ' ', false));
  }
}

INSTANTIATE_TEST_SUITE_P(Diseases, JudgmentWriterOnRules,
                         testing::ValuesIn(testing_support::RuleFilesInDiseases()),
                         [](const testing::TestParamInfo<std::string>& param) {
                           return testing_support::RuleFileTestName(param.param);
                         });

}  // namespace
}  // namespace kijun::engine
