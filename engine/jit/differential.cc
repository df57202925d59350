#include "engine/jit/differential.h"

#include "engine/interpreter.h"
#include "engine/jit/native_judge.h"
#include "engine/judgment_render.h"
#include "engine/random_forms.h"

namespace kijun::engine::jit {

using nlohmann::json;

Difference CompareEngines(const ir::RuleSet& rules, const NativeRuleSet& native, int forms,
                          uint64_t seed) {
  NativeJudge judge(rules, native);
  RandomForms random(rules, seed);
  Difference result;
  auto both = [&](const FormInput& form, const json& items, std::string& a, std::string& b) {
    a = JudgmentToJson(rules, Judge(rules, form, items)).dump();
    b = JudgmentToJson(rules, Judge(rules, form, items, &judge)).dump();
    return a != b;
  };
  for (int n = 0; n < forms; ++n) {
    FormInput form;
    form.variant = random.Variant();
    if (n % 7 != 0) form.date = 17500 + int64_t(n % 4000);  // 2017 … 2028
    json items = random.Next();
    std::string a, b;
    ++result.forms;
    if (!both(form, items, a, b)) continue;
    // Drop answers while the engines still disagree.
    json minimal = items;
    for (bool shrunk = true; shrunk;) {
      shrunk = false;
      for (auto it = minimal.begin(); it != minimal.end(); ++it) {
        json candidate = minimal;
        candidate.erase(it.key());
        std::string ca, cb;
        if (both(form, candidate, ca, cb)) {
          minimal = candidate;
          shrunk = true;
          break;
        }
      }
    }
    result.found = true;
    result.minimal_items = minimal;
    result.variant = form.variant;
    result.date = form.date;
    both(form, minimal, result.interpreter, result.jit);
    return result;
  }
  return result;
}

}  // namespace kijun::engine::jit
