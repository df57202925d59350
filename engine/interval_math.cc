#include "engine/interval_math.h"

#include <algorithm>
#include <cmath>

namespace kijun::engine {

Number Hull(Number a, Number b) { return {std::min(a.lo, b.lo), std::max(a.hi, b.hi)}; }

namespace {

double Times(double a, double b) { return a == 0 || b == 0 ? 0 : a * b; }

}  // namespace

Number Multiply(Number a, Number b) {
  double p[] = {Times(a.lo, b.lo), Times(a.lo, b.hi), Times(a.hi, b.lo), Times(a.hi, b.hi)};
  return {*std::min_element(p, p + 4), *std::max_element(p, p + 4)};
}

Truth Less(Number a, Number b, bool or_equal) {
  if (or_equal ? a.hi <= b.lo : a.hi < b.lo) return Truth::kTrue;
  if (or_equal ? a.lo > b.hi : a.lo >= b.hi) return Truth::kFalse;
  return Truth::kUnknown;
}

Truth Equal(Number a, Number b) {
  if (a.known() && b.known()) return a.lo == b.lo ? Truth::kTrue : Truth::kFalse;
  if (a.hi < b.lo || b.hi < a.lo) return Truth::kFalse;
  return Truth::kUnknown;
}

Number Divide(Number a, Number b, RuntimeError& error) {
  error = RuntimeError::kNone;
  if (b.known() && b.lo == 0) {
    if (a.known()) error = RuntimeError::kDivisionByZero;
    return Number::Unknown();
  }
  if (b.lo <= 0 && b.hi >= 0) return Number::Unknown();
  Number inverse{1 / b.hi, 1 / b.lo};
  return Multiply(a, inverse);
}

Number Power(Number base, Number exponent, RuntimeError& error) {
  error = RuntimeError::kNone;
  if (base.known() && exponent.known()) {
    double x = base.lo, y = exponent.lo;
    if ((x < 0 && std::floor(y) != y) || (x == 0 && y < 0)) {
      error = RuntimeError::kPowerDomain;
      return Number::Unknown();
    }
    return Number::Exact(std::pow(x, y));
  }
  // x^y is monotone in x for x > 0 and a known y.
  if (exponent.known() && base.lo > 0 && std::isfinite(base.lo)) {
    double a = std::pow(base.lo, exponent.lo), b = std::pow(base.hi, exponent.lo);
    return {std::min(a, b), std::max(a, b)};
  }
  return Number::Unknown();
}

void DescribeRuntimeError(RuntimeError error, double a, double b, std::string& ja,
                          std::string& en) {
  switch (error) {
    case RuntimeError::kDivisionByZero:
      ja = "0 で割っています";
      en = "division by zero";
      return;
    case RuntimeError::kPowerDomain:
      ja = FormatNumber(a) + " の " + FormatNumber(b) + " 乗は計算できません";
      en = FormatNumber(a) + " to the power " + FormatNumber(b) + " is undefined";
      return;
    case RuntimeError::kIndexOutOfRange:
      ja = "添字 " + FormatNumber(a) + " が範囲外です";
      en = "index " + FormatNumber(a) + " is out of range";
      return;
    case RuntimeError::kLoopTooLarge:
      ja = "繰り返しが多すぎます";
      en = "loop range too large";
      return;
    case RuntimeError::kNoSuchHeading:
    case RuntimeError::kExternalFunction:
    case RuntimeError::kNone:
      ja.clear();
      en.clear();
      return;
  }
}

}  // namespace kijun::engine
