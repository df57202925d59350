#include "bench/parkinson_handwritten.h"

#include <cmath>
#include <limits>

#include "dsl/calendar.h"

namespace kijun::bench {

namespace {

using engine::Truth;
constexpr uint8_t T = 1, F = 0, U = 2;

uint8_t And(uint8_t a, uint8_t b) { return a == F || b == F ? F : (a == T && b == T ? T : U); }
uint8_t Or(uint8_t a, uint8_t b) { return a == T || b == T ? T : (a == F && b == F ? F : U); }
uint8_t Not(uint8_t a) { return a == U ? U : (a == T ? F : T); }
uint8_t Ge(double alo, double ahi, double blo, double bhi) {  // a >= b
  return bhi <= alo ? T : (blo > ahi ? F : U);
}
uint8_t Le(double alo, double ahi, double blo, double bhi) {  // a <= b
  return ahi <= blo ? T : (alo > bhi ? F : U);
}
uint8_t Gt(double alo, double ahi, double blo, double bhi) {  // a > b
  return bhi < alo ? T : (blo >= ahi ? F : U);
}
uint8_t EqCode(double lo, double hi, double code) {
  if (lo == hi) return lo == code ? T : F;
  return (hi < code || code < lo) ? F : U;
}

// The first level that holds while all earlier fail; -1 when undecided.
// `qualifying` is a bit set; `qualifies` gets the three-valued answer.
int Decide(const uint8_t* levels, int n, uint32_t qualifying, uint8_t& qualifies) {
  uint32_t candidates = 0;
  for (int i = 0; i < n; ++i) {
    if (levels[i] == F) continue;
    candidates |= 1u << i;
    if (levels[i] == T) {
      if (candidates == (1u << i)) {
        qualifies = (qualifying >> i) & 1 ? T : F;
        return i;
      }
      break;
    }
  }
  bool any = (candidates & qualifying) != 0,
       all = candidates != 0 && (candidates & ~qualifying) == 0;
  qualifies = candidates == 0 ? F : all ? T : any ? U : F;
  return -1;
}

}  // namespace

ParkinsonRules::ParkinsonRules(const engine::ir::RuleSet& r)
    : sex_(r.FindItem("性別")),
      birth_(r.FindItem("生年月日")),
      onset_(r.FindItem("発症年月")),
      diagnosed_(r.FindItem("診断年月日")),
      a1_(r.FindItem("A-1")),
      b1_(r.FindItem("B-1")),
      c2_(r.FindItem("C-2")),
      response_(r.FindItem("治療効果")),
      hy_(r.FindItem("Hoehn_Yahr")),
      adl_(r.FindItem("生活機能障害度")),
      applied_(r.FindItem("申請年月")),
      costs_(r.FindItem("月別医療費総額")) {}

ParkinsonDecision ParkinsonRules::Judge(const engine::BoundForm& f, bool renewal, double form_date,
                                        bool form_date_known) const {
  const auto& v = f.values;
  auto truth = [&](int slot) { return static_cast<uint8_t>(v[size_t(slot)].truth); };
  ParkinsonDecision d;
  // 年齢 = age(生年月日, form_date())
  const auto& birth = v[size_t(birth_)].number;
  if (birth.known() && form_date_known) {
    d.age_lo = d.age_hi = double(dsl::CompletedYears(int64_t(birth.lo), int64_t(form_date)));
  } else {
    d.age_lo = -std::numeric_limits<double>::infinity();
    d.age_hi = std::numeric_limits<double>::infinity();
  }
  const auto& hy = v[size_t(hy_)].number;
  const auto& adl = v[size_t(adl_)].number;
  d.severity_calc = And(Ge(hy.lo, hy.hi, 3, 3), Ge(adl.lo, adl.hi, 2, 2));
  // 軽症高額対象月数 = count(m in 1..12 : cost[m] > 33330 and add_months(申請年月, m - 12) >=
  // 発症年月)
  const auto& applied = v[size_t(applied_)].number;
  const auto& onset = v[size_t(onset_)].number;
  const auto& costs = v[size_t(costs_)].list;
  double yes = 0, open = 0;
  for (int m = 1; m <= 12; ++m) {
    const auto& c = costs[size_t(m - 1)].number;
    uint8_t t = And(Gt(c.lo, c.hi, 33330, 33330),
                    Ge(applied.lo + (m - 12), applied.hi + (m - 12), onset.lo, onset.hi));
    yes += t == T;
    open += t == U;
  }
  d.months_lo = yes;
  d.months_hi = yes + open;
  uint8_t known_applied = applied.known() ? T : F;
  d.high_cost = And(known_applied, Ge(d.months_lo, d.months_hi, 3, 3));
  // 診断のカテゴリー
  const auto& response = v[size_t(response_)].number;
  uint8_t base = And(And(truth(a1_), truth(b1_)), Not(truth(c2_)));
  uint8_t diagnosis_levels[3] = {And(base, EqCode(response.lo, response.hi, 1)),
                                 And(base, EqCode(response.lo, response.hi, 3)), T};
  uint8_t diagnosis_ok = U;
  d.diagnosis = Decide(diagnosis_levels, 3, 1u, diagnosis_ok);
  uint8_t severity_levels[2] = {d.severity_calc, T};
  uint8_t severity_ok = U;
  d.severity = Decide(severity_levels, 2, 1u, severity_ok);
  uint8_t diagnosed = Or(renewal ? T : F, diagnosis_ok);
  uint8_t outcome_levels[3] = {And(diagnosed, severity_ok), And(diagnosed, d.high_cost), T};
  uint8_t unused = U;
  d.outcome = Decide(outcome_levels, 3, 0u, unused);
  // Checks (failed = false).
  const auto& diagnosed_on = v[size_t(diagnosed_)].number;
  double diagnosed_month_lo = diagnosed_on.known()
                                  ? double(dsl::YearMonthOfDate(int64_t(diagnosed_on.lo)))
                                  : -std::numeric_limits<double>::infinity();
  double diagnosed_month_hi =
      diagnosed_on.known() ? diagnosed_month_lo : std::numeric_limits<double>::infinity();
  uint8_t failed = 0;
  if (Le(onset.lo, onset.hi, diagnosed_month_lo, diagnosed_month_hi) == F) failed |= 1;
  double birth_month_lo = birth.known() ? double(dsl::YearMonthOfDate(int64_t(birth.lo)))
                                        : -std::numeric_limits<double>::infinity();
  double birth_month_hi = birth.known() ? birth_month_lo : std::numeric_limits<double>::infinity();
  if (Le(birth_month_lo, birth_month_hi, onset.lo, onset.hi) == F) failed |= 2;
  if (Le(onset.lo, onset.hi, applied.lo, applied.hi) == F) failed |= 4;
  d.checks_failed = failed;
  (void)sex_;
  return d;
}

}  // namespace kijun::bench
