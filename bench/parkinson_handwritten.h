#pragma once

// Hand-written C++ for the rules of diseases/nanbyo/006_parkinson.kijun and
// the modules it imports: the physical-limit reference for the JIT. Same
// three-valued semantics (unknown answers as ranges), decisions and values
// only — no messages text, no explanation.

#include <cstdint>

#include "engine/form_binding.h"
#include "engine/ir.h"

namespace kijun::bench {

struct ParkinsonDecision {
  double age_lo = 0, age_hi = 0;
  uint8_t severity_calc = 2;            // パーキンソン病重症度該当
  double months_lo = 0, months_hi = 0;  // 軽症高額対象月数
  uint8_t high_cost = 2;                // 軽症高額該当
  int diagnosis = -1;                   // Definite / Probable / 該当なし, -1 undecided
  int severity = -1;                    // 対象 / 対象外
  int outcome = -1;                     // 認定相当 / 軽症高額該当 / 非該当
  uint8_t checks_failed = 0;            // bit per check
};

// Slots of the items the rules read, resolved once.
class ParkinsonRules {
 public:
  explicit ParkinsonRules(const engine::ir::RuleSet& rules);
  ParkinsonDecision Judge(const engine::BoundForm& form, bool renewal, double form_date,
                          bool form_date_known) const;

 private:
  int sex_, birth_, onset_, diagnosed_, a1_, b1_, c2_, response_, hy_, adl_, applied_, costs_;
};

}  // namespace kijun::bench
