// The JIT against the reference interpreter, rule by rule, on random forms
// for every rule file in diseases/: each compiled calculation, level
// condition and check must give exactly the interpreter's value (the same
// doubles, the same truth) and raise the same run-time errors.

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "engine/form_binding.h"
#include "engine/interval_math.h"
#include "engine/jit/differential.h"
#include "engine/jit/frame_storage.h"
#include "engine/jit/jit_engine.h"
#include "engine/jit/native_judge.h"
#include "engine/judgment_render.h"
#include "engine/random_forms.h"
#include "tests/test_support.h"

namespace kijun::engine::jit {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kFormsPerFile = 2000;
// Forms per rule file for the whole-judgment comparison (the issue asks for
// at least 10,000 in CI).
constexpr int kWholeForms = 10000;

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

std::string Show(const NativeValue& v) {
  return "[" + std::to_string(v.lo) + ", " + std::to_string(v.hi) + "] truth " +
         std::to_string(v.truth);
}

class JitDifferential : public testing::TestWithParam<std::string> {};

// The fused judge's raw output — every calculated value (bit for bit),
// every level, clause and check truth, every classification's decision and
// the run-time errors of each calculation — against the interpreter's
// judgment of the same form. Returns the number of values compared.
int CompareVerdict(const ir::RuleSet& rules, const NativeRuleSet& native, const FormInput& form,
                   const json& items) {
  Judgment j = Judge(rules, form, items);
  BoundForm bound = BindForm(rules, items);
  NativeJudge judge(rules, native);
  judge.Begin(bound, form);
  const NativeFrame& frame = judge.storage().frame();
  const std::vector<uint8_t>& verdict = judge.verdict();
  const VerdictLayout& layout = native.layout();
  std::string on = " on " + items.dump() + " variant '" + form.variant + "'";
  int compared = 0;
  for (size_t c = 0; c < rules.calcs.size(); ++c) {
    const ir::Calc& calc = rules.calcs[c];
    const Value& want = j.calcs[c].value;
    if (calc.kind == ir::ValueKind::kTruth) {
      EXPECT_EQ(frame.calc_truth[c], uint8_t(want.truth)) << calc.name << on;
    } else if (calc.kind == ir::ValueKind::kText) {
      double id =
          !want.text_known ? -1
          : want.text == form.variant && native.texts().Find(want.text) == native.texts().other()
              ? native.texts().other()
              : native.texts().Find(want.text);
      EXPECT_EQ(frame.calc_lo[c], id) << calc.name << on;
    } else {
      EXPECT_TRUE(SameBits(frame.calc_lo[c], want.number.lo) &&
                  SameBits(frame.calc_hi[c], want.number.hi))
          << calc.name << " JIT [" << frame.calc_lo[c] << ", " << frame.calc_hi[c]
          << "] interpreter [" << want.number.lo << ", " << want.number.hi << "]" << on;
    }
    std::vector<std::string> jit_errors, interp_errors;
    for (const auto& e : judge.storage().errors()) {
      if (e.root != int(c)) continue;
      std::string ja, en;
      if (e.code == kExternalFunction) {
        en = e.en;
      } else {
        DescribeRuntimeError(static_cast<RuntimeError>(e.code), e.a, e.b, ja, en);
      }
      if (std::find(jit_errors.begin(), jit_errors.end(), en) == jit_errors.end())
        jit_errors.push_back(en);
    }
    for (const auto& m : j.messages) {
      if (m.source == MessageSource::kCalc && m.name == calc.name) {
        interp_errors.push_back(m.en.substr(m.en.find(": ") + 2));
      }
    }
    EXPECT_EQ(jit_errors, interp_errors) << calc.name << on;
    ++compared;
  }
  for (size_t k = 0; k < rules.classifications.size(); ++k) {
    const ClassificationResult& result = j.classifications[k];
    EXPECT_EQ(frame.class_level[k], result.level) << result.name << on;
    uint64_t bits = 0;
    for (int candidate : result.candidates) bits |= uint64_t{1} << candidate;
    EXPECT_EQ(frame.class_candidates[k], bits) << result.name << on;
    EXPECT_EQ(frame.class_qualifies[k], uint8_t(result.qualifies)) << result.name << on;
    for (size_t l = 0; l < result.levels.size(); ++l) {
      int at = layout.level[k][l];
      if (at < 0) continue;
      const LevelTrace& trace = result.levels[l];
      EXPECT_EQ(verdict[size_t(at)], uint8_t(trace.result))
          << result.name << "." << trace.name << on;
      EXPECT_EQ(size_t(layout.clause_count[k][l]), trace.clauses.size());
      for (size_t i = 0; i < trace.clauses.size(); ++i) {
        EXPECT_EQ(verdict[size_t(layout.clause_start[k][l]) + i], uint8_t(trace.clauses[i].result))
            << result.name << "." << trace.name << " clause " << trace.clauses[i].text << on;
      }
      compared += 1 + int(trace.clauses.size());
    }
  }
  for (size_t c = 0; c < rules.checks.size(); ++c) {
    bool reported = false;
    for (const auto& m : j.messages) {
      reported = reported || (m.source == MessageSource::kCheck && m.name == rules.checks[c].name);
    }
    EXPECT_EQ(verdict[size_t(layout.check[c])] == uint8_t(Truth::kFalse), reported)
        << rules.checks[c].name << on;
    ++compared;
  }
  return compared;
}

TEST_P(JitDifferential, CompiledRulesMatchTheInterpreter) {
  std::string load_error;
  auto loaded = testing_support::LoadRules(GetParam(), load_error);
  ASSERT_TRUE(loaded) << load_error;
  ir::RuleSet rules = std::move(*loaded);

  std::string error;
  JitEngine* engine = JitEngine::Get(&error);
  ASSERT_NE(engine, nullptr) << error;
  auto native = engine->Compile(rules, error);
  ASSERT_NE(native, nullptr) << error;
  EXPECT_GT(native->compiled(), 0);

  RandomForms random(rules, std::hash<std::string>{}(GetParam()) + 7);
  FrameStorage storage;
  int compared = 0;
  for (int n = 0; n < kFormsPerFile && native->Judge() == nullptr; ++n) {
    FormInput form;
    form.variant = random.Variant();
    if (n % 5 != 0) form.date = 18000 + int64_t(n % 3000);
    json items = random.Next();
    Judgment j = Judge(rules, form, items);
    BoundForm bound = BindForm(rules, items);
    storage.SetItems(rules, bound, form, native->texts());
    // Calculations, in order, each seeing the interpreter's earlier values.
    for (size_t c = 0; c < rules.calcs.size(); ++c) {
      const Value& want = j.calcs[c].value;
      if (NativeFunction fn = native->Calc(int(c))) {
        storage.errors().clear();
        NativeValue got;
        fn(&storage.frame(), &got);
        const ir::Calc& calc = rules.calcs[c];
        if (calc.kind == ir::ValueKind::kTruth) {
          EXPECT_EQ(got.truth, uint8_t(want.truth)) << calc.name << " on " << items.dump();
        } else if (calc.kind == ir::ValueKind::kText) {
          double id = want.text_known ? native->texts().Find(want.text) : -1;
          EXPECT_EQ(got.lo, id) << calc.name << " on " << items.dump();
        } else {
          if (calc.places >= 0) {
            got.lo = RoundHalfAway(got.lo, calc.places);
            got.hi = RoundHalfAway(got.hi, calc.places);
          }
          EXPECT_TRUE(SameBits(got.lo, want.number.lo) && SameBits(got.hi, want.number.hi))
              << GetParam() << ": " << calc.name << " JIT " << Show(got) << " interpreter ["
              << want.number.lo << ", " << want.number.hi << "] on " << items.dump();
        }
        // Run-time errors: the interpreter reports them as messages of the calc.
        std::vector<std::string> jit_errors, interp_errors;
        for (const auto& e : storage.errors()) {
          std::string ja, en;
          DescribeRuntimeError(static_cast<RuntimeError>(e.code), e.a, e.b, ja, en);
          if (std::find(jit_errors.begin(), jit_errors.end(), en) == jit_errors.end())
            jit_errors.push_back(en);
        }
        for (const auto& m : j.messages) {
          if (m.source == MessageSource::kCalc && m.name == calc.name) {
            interp_errors.push_back(m.en.substr(m.en.find(": ") + 2));
          }
        }
        EXPECT_EQ(jit_errors, interp_errors) << calc.name << " on " << items.dump();
        ++compared;
      }
      storage.SetCalc(int(c), want);
    }
    // Level conditions, each classification seeing the earlier decisions.
    for (size_t k = 0; k < rules.classifications.size(); ++k) {
      const ClassificationResult& result = j.classifications[k];
      for (size_t l = 0; l < result.levels.size(); ++l) {
        NativeFunction fn = native->Level(int(k), int(l));
        if (fn == nullptr) continue;
        NativeValue got;
        fn(&storage.frame(), &got);
        EXPECT_EQ(got.truth, uint8_t(result.levels[l].result))
            << GetParam() << ": " << result.name << "." << result.levels[l].name << " on "
            << items.dump();
        ++compared;
      }
      storage.SetClassification(int(k), result);
    }
    // Checks: false exactly when the interpreter reported the check.
    for (size_t c = 0; c < rules.checks.size(); ++c) {
      NativeFunction fn = native->Check(int(c));
      if (fn == nullptr) continue;
      NativeValue got;
      fn(&storage.frame(), &got);
      bool reported = false;
      for (const auto& m : j.messages) {
        reported =
            reported || (m.source == MessageSource::kCheck && m.name == rules.checks[c].name);
      }
      EXPECT_EQ(got.truth == uint8_t(Truth::kFalse), reported)
          << rules.checks[c].name << " on " << items.dump();
      ++compared;
    }
  }
  for (int n = 0; n < kFormsPerFile && native->Judge() != nullptr; ++n) {
    FormInput form;
    form.variant = random.Variant();
    if (n % 5 != 0) form.date = 18000 + int64_t(n % 3000);
    json items = random.Next();
    compared += CompareVerdict(rules, *native, form, items);
  }
  EXPECT_GT(compared, 0);
  RecordProperty("fused", native->Judge() != nullptr ? 1 : 0);
  RecordProperty("compiled", native->compiled());
  RecordProperty("total", native->total());
}

// The whole judgment — values, messages, levels, explanation — through the
// JIT path must be byte-identical to the interpreter's.
TEST_P(JitDifferential, WholeJudgmentIsByteIdentical) {
  std::string load_error;
  auto loaded = testing_support::LoadRules(GetParam(), load_error);
  ASSERT_TRUE(loaded) << load_error;
  ir::RuleSet rules = std::move(*loaded);
  std::string error;
  auto native = JitEngine::Get(&error)->Compile(rules, error);
  ASSERT_NE(native, nullptr) << error;
  Difference d =
      CompareEngines(rules, *native, kWholeForms, std::hash<std::string>{}(GetParam()) + 11);
  EXPECT_EQ(d.forms, kWholeForms);
  EXPECT_FALSE(d.found) << GetParam() << ": the engines differ on the form (minimal) "
                        << d.minimal_items.dump() << " variant '" << d.variant
                        << "'\ninterpreter: " << d.interpreter << "\njit:         " << d.jit;
}

// Look-up tables in the fused judge: text and number keys, text and integer
// cells, an unknown key, and a key with no heading (the table's error).
TEST(JitLookup, TablesMatchTheInterpreterInTheFusedJudge) {
  auto c = testing_support::Compile(testing_support::Disease(R"(
section s "s" {
  item 行 "行" : integer 1..3
  item 区分 "区分" : choice { 1 "G1", 2 "G2", 3 "G9" }
}
table 表 rows ("G1", "G2") columns ("A1", "A2") {
  "緑" "黄";
  "黄" "赤";
}
table 数表 rows (1, 2) columns (1, 2) {
  10 20;
  30 40;
}
calc 区分名 : text = cases { 区分 = 1 -> "G1"; 区分 = 2 -> "G2"; else -> "G9" }
calc 色 : text = lookup 表[区分名, "A2"]
calc 赤 : boolean = 色 = "赤"
calc 値 : integer = lookup 数表[行, 2]
)"));
  ASSERT_TRUE(c.rules) << c.Rendered();
  const ir::RuleSet& rules = *c.rules;
  std::string error;
  auto native = JitEngine::Get(&error)->Compile(rules, error);
  ASSERT_NE(native, nullptr) << error;
  ASSERT_NE(native->Judge(), nullptr) << "look-ups should compile into the fused judge";
  int misses = 0;
  for (json items : {json{{"行", 1}, {"区分", 2}}, json{{"行", 2}, {"区分", 1}},
                     json{{"行", 3}, {"区分", 3}}, json::object(), json{{"区分", 2}}}) {
    FormInput form;
    form.variant = "新規";
    NativeJudge judge(rules, *native);
    std::string want = JudgmentToJson(rules, Judge(rules, form, items)).dump();
    std::string got = JudgmentToJson(rules, Judge(rules, form, items, &judge)).dump();
    EXPECT_EQ(got, want) << items.dump();
    for (size_t at = want.find("has no such heading"); at != std::string::npos;
         at = want.find("has no such heading", at + 1)) {
      ++misses;
    }
    EXPECT_GT(CompareVerdict(rules, *native, form, items), 0);
  }
  EXPECT_EQ(misses, 2);  // the third form: 行 3 (数表) and 区分名 G9 (表)
}

INSTANTIATE_TEST_SUITE_P(Diseases, JitDifferential,
                         testing::ValuesIn(testing_support::RuleFilesInDiseases()),
                         [](const testing::TestParamInfo<std::string>& param) {
                           return testing_support::RuleFileTestName(param.param);
                         });

}  // namespace
}  // namespace kijun::engine::jit
