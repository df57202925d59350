// The law of three-valued judgment, checked on random forms for every rule
// file in diseases/: answering an unknown item can only narrow a judgment,
// never change one that was already decided. (known() is the one function
// that looks at whether an answer is given, so what depends on it is left
// out.) Also: judging never crashes and is deterministic.

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "engine/form_binding.h"
#include "engine/judgment_render.h"
#include "engine/random_forms.h"
#include "tests/test_support.h"

namespace kijun::engine {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kFormsPerFile = 1500;

bool UsesKnown(const ir::Node& n, const std::vector<bool>& calc_known,
               const std::vector<bool>& class_known) {
  if (n.op == ir::Op::kKnown) return true;
  if (n.op == ir::Op::kCalc && calc_known[size_t(n.slot)]) return true;
  if ((n.op == ir::Op::kQualifies || n.op == ir::Op::kLevelIs) && class_known[size_t(n.slot)]) {
    return true;
  }
  for (const auto& a : n.args) {
    if (UsesKnown(a, calc_known, class_known)) return true;
  }
  return false;
}

class Refinement : public testing::TestWithParam<std::string> {};

TEST_P(Refinement, AnsweringAnUnknownNeverChangesADecidedJudgment) {
  std::string load_error;
  auto loaded = testing_support::LoadRules(GetParam(), load_error);
  ASSERT_TRUE(loaded) << load_error;
  ir::RuleSet rules = std::move(*loaded);

  std::vector<bool> calc_known(rules.calcs.size()), class_known(rules.classifications.size());
  for (size_t c = 0; c < rules.calcs.size(); ++c) {
    calc_known[c] = UsesKnown(rules.calcs[c].expr, calc_known, class_known);
  }
  for (size_t c = 0; c < rules.classifications.size(); ++c) {
    for (const auto& level : rules.classifications[c].levels) {
      if (level.condition && UsesKnown(*level.condition, calc_known, class_known))
        class_known[c] = true;
    }
  }

  RandomForms random(rules, std::hash<std::string>{}(GetParam()));
  int refined_forms = 0;
  for (int n = 0; n < kFormsPerFile; ++n) {
    FormInput form;
    form.variant = random.Variant();
    form.date = 18000 + int64_t(n % 3000);  // 2019 … 2027
    json items = random.Next();
    Judgment before = Judge(rules, form, items);
    // Deterministic.
    ASSERT_EQ(JudgmentToJson(rules, before).dump(),
              JudgmentToJson(rules, Judge(rules, form, items)).dump());

    // Answer up to three unknown items with valid values.
    BoundForm bound = BindForm(rules, items);
    json refined = items;
    int changed = 0;
    for (size_t slot = 0; slot < rules.items.size() && changed < 3; ++slot) {
      const ir::Item& item = rules.items[slot];
      if (item.group >= 0 || bound.values[slot].known()) continue;
      if (item.schema.kind == ir::ItemKind::kList && bound.states[slot] == AnswerState::kGiven) {
        json list = items[item.name];
        json full = random.ValidAnswer(int(slot));
        for (size_t i = 0; i < list.size(); ++i) {
          if (list[i].is_null() || list[i] == "不明") list[i] = full[i];
        }
        refined[item.name] = list;
      } else {
        refined[item.name] = random.ValidAnswer(int(slot));
      }
      ++changed;
    }
    if (changed == 0) continue;
    ++refined_forms;
    Judgment after = Judge(rules, form, refined);

    for (size_t c = 0; c < rules.calcs.size(); ++c) {
      if (calc_known[c] || !before.calcs[c].value.known()) continue;
      EXPECT_EQ(CalcValueToJson(rules.calcs[c], after.calcs[c].value),
                CalcValueToJson(rules.calcs[c], before.calcs[c].value))
          << GetParam() << ": calc " << rules.calcs[c].name << " changed after answering unknowns\n"
          << items.dump() << "\n→ " << refined.dump();
    }
    for (size_t c = 0; c < rules.classifications.size(); ++c) {
      if (class_known[c]) continue;
      const ClassificationResult& b = before.classifications[c];
      const ClassificationResult& a = after.classifications[c];
      if (b.level >= 0) {
        EXPECT_EQ(a.level, b.level)
            << GetParam() << ": " << b.name << " changed from a decided level\n"
            << items.dump() << "\n→ " << refined.dump();
      } else if (!b.candidates.empty() && a.level >= 0) {
        EXPECT_NE(std::find(b.candidates.begin(), b.candidates.end(), a.level), b.candidates.end())
            << GetParam() << ": " << b.name << " decided a level that was not possible\n"
            << items.dump() << "\n→ " << refined.dump();
      }
    }
  }
  EXPECT_GT(refined_forms, kFormsPerFile / 10) << "too few forms had unknown answers to refine";
}

INSTANTIATE_TEST_SUITE_P(Diseases, Refinement,
                         testing::ValuesIn(testing_support::RuleFilesInDiseases()),
                         [](const testing::TestParamInfo<std::string>& param) {
                           return testing_support::RuleFileTestName(param.param);
                         });

}  // namespace
}  // namespace kijun::engine
