// The batch path (engine/batch/) against the reference path: for random
// forms of every rule file — the differential tester's mix and forms as a
// clinic sends them — and for lines written to trip the fast JSON reading
// (repeated keys, -0, 1.0 for 該当, escapes, big numbers), whenever the batch
// path takes a line its bytes must be exactly those the reference path
// writes (nlohmann parse, reference binding, the interpreter with the
// native judge, the compact writer). It must also take most clinic forms,
// or it would be measuring the fallback.

#include "engine/batch/batch_judge.h"

#include <gtest/gtest.h>

#include <cstring>

#include "engine/batch/batch_envelope.h"
#include "engine/form_binding.h"
#include "engine/form_envelope.h"
#include "engine/interpreter.h"
#include "engine/jit/jit_engine.h"
#include "engine/jit/native_judge.h"
#include "engine/judgment_writer.h"
#include "engine/random_forms.h"
#include "tests/test_support.h"

namespace kijun::engine::batch {
namespace {

using nlohmann::json;

constexpr int kFormsPerFile = 400;

struct Compiled {
  ir::RuleSet rules;
  std::unique_ptr<jit::NativeRuleSet> native;
};

std::unique_ptr<Compiled> Compile(const std::string& path) {
  std::string error;
  auto loaded = testing_support::LoadRules(path, error);
  EXPECT_TRUE(loaded) << error;
  if (!loaded) return nullptr;
  auto c = std::make_unique<Compiled>();
  c->rules = std::move(*loaded);
  jit::JitEngine* jit = jit::JitEngine::Get(&error);
  EXPECT_NE(jit, nullptr) << error;
  if (jit == nullptr) return nullptr;
  c->native = jit->Compile(c->rules, error);
  EXPECT_NE(c->native, nullptr) << error;
  if (c->native == nullptr) return nullptr;
  return c;
}

// The reference path's compact line, or "" when the line is not judged.
std::string Reference(const Compiled& c, jit::NativeJudge& judge, const std::string& text) {
  json line = json::parse(text, nullptr, false);
  if (line.is_discarded()) return "";
  FormInput form;
  std::string ja, en;
  if (!ReadFormEnvelope(line, form, ja, en)) return "";
  auto items = line.find("items");
  const json& answers = items == line.end() ? json(nullptr) : *items;
  Judgment j = Judge(c.rules, form, answers, &judge, Explanation::kTruths);
  std::string out;
  WriteJudgmentJson(c.rules, j, out, Explanation::kTruths);
  // Leaving the clauses unworded changes nothing else on the line.
  Judgment worded = Judge(c.rules, form, answers, &judge);
  std::string worded_out;
  WriteJudgmentJson(c.rules, worded, worded_out, Explanation::kTruths);
  EXPECT_EQ(out, worded_out);
  return out;
}

// The batch path's line, or "" when it does not take it.
std::string Batch(BatchJudge& batch, simdjson::dom::parser& parser, const std::string& text) {
  FormInput form;
  simdjson::dom::element items;
  bool has_items = false;
  if (!ReadBatchLine(parser, text, form, items, has_items)) return "";
  std::string out;
  if (!batch.Judge(form, has_items ? &items : nullptr, out)) return "";
  EXPECT_FALSE(out.empty());
  return out;
}

std::string Line(const ir::RuleSet& rules, int n, const std::string& variant, const json& items) {
  nlohmann::ordered_json line;
  line["id"] = "F" + std::to_string(n);
  line["disease"] = rules.DiseaseKey();
  if (!variant.empty()) line["variant"] = variant;
  if (n % 5 != 0) line["date"] = "2024-0" + std::to_string(1 + n % 9) + "-15";
  line["items"] = items;
  return line.dump(-1, ' ', false);
}

bool SameValue(const Value& a, const Value& b) {
  if (a.kind != b.kind || a.truth != b.truth || a.text_known != b.text_known ||
      a.list_known != b.list_known || a.text != b.text || a.list.size() != b.list.size()) {
    return false;
  }
  // Bit for bit: an interval's bounds, infinities included.
  if (std::memcmp(&a.number, &b.number, sizeof(Number)) != 0) return false;
  for (size_t i = 0; i < a.list.size(); ++i) {
    if (!SameValue(a.list[i], b.list[i])) return false;
  }
  return true;
}

// The values the batch judge rebuilt from its frame for the form it last
// bound are the reference binding's.
void ExpectRebuiltAsBound(const ir::RuleSet& rules, const BatchJudge& batch,
                          const std::string& text) {
  BoundForm rebuilt;
  if (!batch.Rebuild(rebuilt)) return;
  json line = json::parse(text);
  auto items = line.find("items");
  BoundForm bound = BindForm(rules, items == line.end() ? json(nullptr) : *items);
  ASSERT_EQ(rebuilt.values.size(), bound.values.size());
  for (size_t slot = 0; slot < bound.values.size(); ++slot) {
    EXPECT_TRUE(SameValue(rebuilt.values[slot], bound.values[slot]))
        << rules.items[slot].name << " in " << text;
    EXPECT_EQ(rebuilt.states[slot], bound.states[slot]) << rules.items[slot].name << " in " << text;
  }
  EXPECT_EQ(rebuilt.group_entries, bound.group_entries);
}

class BatchJudgeOnRules : public testing::TestWithParam<std::string> {};

TEST_P(BatchJudgeOnRules, SameBytesAsTheReferencePath) {
  auto c = Compile(GetParam());
  ASSERT_TRUE(c);
  if (c->native->Judge() == nullptr) GTEST_FAIL() << "no fused judge";
  jit::NativeJudge judge(c->rules, *c->native);
  BatchJudge batch(c->rules, *c->native);
  simdjson::dom::parser parser;
  RandomForms random(c->rules, std::hash<std::string>{}(GetParam()) + 11);
  int valid_taken = 0;
  for (int n = 0; n < kFormsPerFile; ++n) {
    bool valid = n % 2 == 0;
    std::string text =
        Line(c->rules, n, random.Variant(), valid ? random.NextValid() : random.Next());
    std::string fast = Batch(batch, parser, text);
    if (fast.empty()) continue;
    valid_taken += valid ? 1 : 0;
    ASSERT_EQ(fast, Reference(*c, judge, text)) << "form: " << text;
    ExpectRebuiltAsBound(c->rules, batch, text);
  }
  // Forms with every item answered need no binding message, so the batch
  // path must take nearly all of them.
  EXPECT_GT(valid_taken, kFormsPerFile / 2 * 8 / 10) << "valid forms on the batch path";
}

// Forms a classification of which is left undecided (a 不明 answer) stay on
// the batch path, which finds the items that would decide it: the same
// "possible" levels, three-valued "qualifies" and "insufficient_data" as
// the reference path.
TEST(BatchJudge, UndecidedFormsStayOnTheBatchPath) {
  auto c = Compile(std::string(KIJUN_SOURCE_DIR) + "/diseases/nanbyo/006_parkinson.kijun");
  ASSERT_TRUE(c);
  jit::NativeJudge judge(c->rules, *c->native);
  BatchJudge batch(c->rules, *c->native);
  simdjson::dom::parser parser;
  RandomForms random(c->rules, 5);
  int undecided = 0;
  for (int n = 0; n < 2000; ++n) {
    std::string text = Line(c->rules, n, random.Variant(), random.NextValid());
    std::string fast = Batch(batch, parser, text);
    if (fast.find("\"insufficient_data\":[") == std::string::npos) continue;
    ++undecided;
    ASSERT_EQ(fast, Reference(*c, judge, text)) << "form: " << text;
  }
  EXPECT_GE(undecided, 50) << "undecided forms taken by the batch path";
}

INSTANTIATE_TEST_SUITE_P(Diseases, BatchJudgeOnRules,
                         testing::ValuesIn(testing_support::RuleFilesInDiseases()),
                         [](const testing::TestParamInfo<std::string>& param) {
                           return testing_support::RuleFileTestName(param.param);
                         });

TEST(BatchJudge, LinesThatTripTheFastReading) {
  auto c = Compile(KIJUN_SOURCE_DIR "/diseases/nanbyo/006_parkinson.kijun");
  ASSERT_TRUE(c);
  jit::NativeJudge judge(c->rules, *c->native);
  BatchJudge batch(c->rules, *c->native);
  simdjson::dom::parser parser;
  const std::string head =
      R"({"id":"X","disease":"指定難病/6","variant":"新規","date":"2024-06-01",)";
  const std::vector<std::pair<std::string, std::string>> base = {{"A-1", R"("該当")"},
                                                                 {"B-1", R"("該当")"},
                                                                 {"C-2", R"("なし")"},
                                                                 {"Hoehn_Yahr", "3"},
                                                                 {"性別", R"("男")"},
                                                                 {"治療効果", R"("改善あり")"},
                                                                 {"生年月日", R"("1950-05-01")"},
                                                                 {"生活機能障害度", "2"},
                                                                 {"発症年月", R"("2019-04")"},
                                                                 {"診断年月日", R"("2020-01-10")"}};
  // The answers with `key` answered `value` instead (or added at the end).
  auto with = [&](const std::string& key, const std::string& value) {
    std::string out = "{";
    bool found = false;
    for (const auto& [k, v] : base) {
      if (out.size() > 1) out += ',';
      out += '"' + k + "\":" + (k == key ? value : v);
      found = found || k == key;
    }
    if (!found && !key.empty()) out += ",\"" + key + "\":" + value;
    return out + "}";
  };
  const std::string plain = with("", "");
  // Lines the batch path must take (and match), then lines it may leave to
  // the reference path (and must match when it takes them).
  const std::vector<std::string> taken_lines = {
      head + R"("items":)" + plain + "}",
      head + R"("items":)" + with("B-1", "true") + "}",
      head + R"("items":)" + with("B-1", "2") + "}",
      head + R"("items":)" + with("Hoehn_Yahr", R"("3度")") + "}",
      head + R"("items":)" + with("月別医療費総額", "[40000,0,0,0,0,0,0,0,40000,40000,0,35000]") +
          "}",
      R"({"disease":"指定難病/6","date":null,"variant":7,"items":)" + plain + "}",
  };
  const std::vector<std::string> other_lines = {
      head + R"("items":)" + with("A-1", R"("非該当"},"A-1":"該当")") + "}",  // repeated key
      head + R"("items":)" + plain + R"(,"items":{"A-1":"該当"}})",  // repeated envelope key
      head + R"("items":)" + with("Hoehn_Yahr", "-0") + "}",
      head + R"("items":)" + with("Hoehn_Yahr", "3.0") + "}",
      head + R"("items":)" + with("Hoehn_Yahr", "3.5") + "}",
      head + R"("items":)" + with("Hoehn_Yahr", "18446744073709551615") + "}",
      head + R"("items":)" + with("Hoehn_Yahr", "1e400") + "}",
      head + R"("items":)" + with("B-1", "1.0") + "}",
      head + R"("items":)" + with("B-1", "3") + "}",
      head + R"("items":)" + with("B-1", R"("不明")") + "}",
      head + R"("items":)" + with("B-1", "null") + "}",
      head + R"("items":)" + with("性別", R"("\u7537")") + "}",  // an escape
      head + R"("items":)" + with("余計", "1") + "}",            // unknown item
      head + R"("items":)" + with("月別医療費総額", "[1,2,3]") + "}",
      head + R"("items":)" +
          with("月別医療費総額", R"([40000,null,"不明",0,0,0,0,0,40000,40000,0,35000])") + "}",
      head + R"("items":null})",
      head + R"("items":[]})",
      R"({"id":7,"disease":"指定難病/6","items":)" + plain + "}",
      R"({"disease":"指定難病/6","variant":"改訂","items":)" + plain + "}",
      R"({"disease":"指定難病/6","date":"2024-02-30","items":)" + plain + "}",
      R"({"disease":"指定難病/6"})",
      R"({"disease":"指定難病/6","items":)" + plain + "} trailing",
  };
  for (const auto& text : taken_lines) {
    std::string fast = Batch(batch, parser, text);
    EXPECT_FALSE(fast.empty()) << "not on the batch path: " << text;
    if (!fast.empty()) {
      EXPECT_EQ(fast, Reference(*c, judge, text)) << "line: " << text;
    }
  }
  for (const auto& text : other_lines) {
    std::string fast = Batch(batch, parser, text);
    if (!fast.empty()) {
      EXPECT_EQ(fast, Reference(*c, judge, text)) << "line: " << text;
    }
  }
}

}  // namespace
}  // namespace kijun::engine::batch
