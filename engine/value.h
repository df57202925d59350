#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "engine/ir.h"

namespace kijun::engine {

// Kleene's three truth values.
enum class Truth : uint8_t { kFalse, kTrue, kUnknown };

Truth And(Truth a, Truth b);
Truth Or(Truth a, Truth b);
Truth Not(Truth a);
const char* TruthName(Truth t);  // "true" / "false" / "unknown"

// A number that may be only partly known: the closed interval [lo, hi].
// Known numbers have lo == hi. A missing item with a declared range 0..5 is
// [0, 5]; without a range it is (-inf, +inf). Sums and comparisons of
// intervals are exact, so "k of n" and point totals stay decided whenever
// the unknown answers could not change them.
struct Number {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();

  static Number Exact(double v) { return {v, v}; }
  static Number Unknown() { return {}; }
  bool known() const { return lo == hi; }
};

// One run-time value; which members are meaningful follows `kind`.
struct Value {
  ir::ValueKind kind = ir::ValueKind::kTruth;
  Truth truth = Truth::kUnknown;
  Number number;
  std::string text;
  bool text_known = false;
  bool list_known = false;  // false for an unanswered multiple choice
  std::vector<Value> list;  // lists and multiple choices

  static Value OfTruth(Truth t);
  static Value OfNumber(Number n);
  static Value OfText(std::string s);
  static Value UnknownOf(ir::ValueKind kind);

  bool known() const;
};

// Rounds half away from zero to `places` decimal places (四捨五入). Values
// within a millionth of the last place of a half count as that half, so
// binary noise (48.0 / 1.6² = 18.7499999…) rounds as the decimal would.
double RoundHalfAway(double value, int places);

// Shortest text that reads back as the same double; integers without ".0".
std::string FormatNumber(double value);

}  // namespace kijun::engine
