// The hand-written reference in bench/ must decide exactly as the rules do,
// or the benchmark would compare unlike things.

#include <gtest/gtest.h>

#include "bench/parkinson_handwritten.h"
#include "engine/random_forms.h"
#include "tests/test_support.h"

namespace kijun {
namespace {

TEST(HandwrittenParkinson, DecidesAsTheInterpreter) {
  std::string load_error;
  auto loaded = testing_support::LoadRules(KIJUN_SOURCE_DIR "/diseases/nanbyo/006_parkinson.kijun",
                                           load_error);
  ASSERT_TRUE(loaded) << load_error;
  engine::ir::RuleSet rules = std::move(*loaded);
  bench::ParkinsonRules handwritten(rules);
  engine::RandomForms random(rules, 5);
  int diagnosis = rules.FindClassification("診断のカテゴリー");
  int severity = rules.FindClassification("重症度分類");
  int outcome = rules.FindClassification("判定");
  for (int n = 0; n < 20000; ++n) {
    engine::FormInput form;
    form.variant = random.Variant();
    form.date = 19000 + n % 1000;
    auto items = random.Next();
    engine::BoundForm bound = engine::BindForm(rules, items);
    engine::Judgment j = engine::Evaluate(rules, form, bound);
    bench::ParkinsonDecision d =
        handwritten.Judge(bound, form.variant == "更新", double(*form.date), true);
    ASSERT_EQ(d.diagnosis, j.classifications[size_t(diagnosis)].level) << items.dump();
    ASSERT_EQ(d.severity, j.classifications[size_t(severity)].level) << items.dump();
    ASSERT_EQ(d.outcome, j.classifications[size_t(outcome)].level) << items.dump() << form.variant;
    ASSERT_EQ(d.months_lo, j.calcs[size_t(rules.FindCalc("軽症高額対象月数"))].value.number.lo);
    ASSERT_EQ(d.months_hi, j.calcs[size_t(rules.FindCalc("軽症高額対象月数"))].value.number.hi);
  }
}

}  // namespace
}  // namespace kijun
