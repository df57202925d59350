#pragma once

#include <nlohmann/json.hpp>

#include "engine/compiled_rules.h"
#include "engine/form_binding.h"
#include "engine/ir.h"
#include "engine/judgment.h"

namespace kijun::engine {

// The reference executor: plain evaluation of the IR, written for clarity.
// It defines the semantics the JIT must reproduce exactly. Thread-compatible:
// `rules` is only read, so many threads may judge with one RuleSet.
//
// Order of work: bind and validate the answers, calculate (in dependency
// order), decide the classifications (in the order written), then the
// required / asked-when rules and the checks.
//
// With `compiled` (the JIT's native code for `rules`), compiled rules run
// natively and the rest here; the result is the same byte for byte.
// With Explanation::kTruths the clauses carry only their results.
Judgment Judge(const ir::RuleSet& rules, const FormInput& form, const nlohmann::json& items,
               CompiledRules* compiled = nullptr, Explanation explanation = Explanation::kWorded);

// The same for answers already bound (engine/form_binding.h): everything
// after binding, for measuring evaluation alone.
Judgment Evaluate(const ir::RuleSet& rules, const FormInput& form, const BoundForm& bound,
                  CompiledRules* compiled = nullptr,
                  Explanation explanation = Explanation::kWorded);

// The batch path's part of deciding (engine/batch/batch_judge.h), for a form
// the native judge judged without a run-time error: `judged` holds each
// classification's decision (level, candidates, qualifies) and each level's
// result; the items that would decide the undecided ones are added as
// Evaluate finds them, from the answers `bound` and the calculated values
// `calcs` (rounded, as Evaluate keeps them). False, when a run-time error
// would be raised on the way, so the caller judges the form the whole way.
bool AddDecidingItems(const ir::RuleSet& rules, const FormInput& form, const BoundForm& bound,
                      const std::vector<Value>& calcs, std::vector<ClassificationResult>& judged);

// Sees every truth value the interpreter computes, node by node. Used to
// measure rule coverage (engine/rule_coverage.h), never when judging.
class ConditionObserver {
 public:
  virtual ~ConditionObserver() = default;
  virtual void Seen(const ir::Node& node, Truth result) = 0;
};

// Judge on the interpreter alone, telling `observer` each truth value.
Judgment Observe(const ir::RuleSet& rules, const FormInput& form, const nlohmann::json& items,
                 ConditionObserver& observer);

}  // namespace kijun::engine
