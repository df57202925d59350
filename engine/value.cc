#include "engine/value.h"

#include <charconv>
#include <cmath>

namespace kijun::engine {

Truth And(Truth a, Truth b) {
  if (a == Truth::kFalse || b == Truth::kFalse) return Truth::kFalse;
  if (a == Truth::kTrue && b == Truth::kTrue) return Truth::kTrue;
  return Truth::kUnknown;
}

Truth Or(Truth a, Truth b) {
  if (a == Truth::kTrue || b == Truth::kTrue) return Truth::kTrue;
  if (a == Truth::kFalse && b == Truth::kFalse) return Truth::kFalse;
  return Truth::kUnknown;
}

Truth Not(Truth a) {
  if (a == Truth::kUnknown) return a;
  return a == Truth::kTrue ? Truth::kFalse : Truth::kTrue;
}

const char* TruthName(Truth t) {
  switch (t) {
    case Truth::kFalse:
      return "false";
    case Truth::kTrue:
      return "true";
    case Truth::kUnknown:
      return "unknown";
  }
  return "unknown";
}

Value Value::OfTruth(Truth t) {
  Value v;
  v.kind = ir::ValueKind::kTruth;
  v.truth = t;
  return v;
}

Value Value::OfNumber(Number n) {
  Value v;
  v.kind = ir::ValueKind::kNumber;
  v.number = n;
  return v;
}

Value Value::OfText(std::string s) {
  Value v;
  v.kind = ir::ValueKind::kText;
  v.text = std::move(s);
  v.text_known = true;
  return v;
}

Value Value::UnknownOf(ir::ValueKind kind) {
  Value v;
  v.kind = kind;
  return v;
}

bool Value::known() const {
  switch (kind) {
    case ir::ValueKind::kTruth:
      return truth != Truth::kUnknown;
    case ir::ValueKind::kNumber:
      return number.known();
    case ir::ValueKind::kText:
      return text_known;
    case ir::ValueKind::kList:
      if (!list_known) return false;
      for (const auto& element : list) {
        if (!element.known()) return false;
      }
      return true;
  }
  return false;
}

double RoundHalfAway(double value, int places) {
  double scale = std::pow(10.0, places);
  double scaled = value * scale;
  // Binary doubles cannot hold most decimal halves exactly (48.0 / 1.6^2 is
  // 18.7499999…), so first snap to a millionth of the last place: a value
  // that close to a half is taken as the half the physician computed.
  double snapped = std::round(scaled * 1e6) / 1e6;
  if (!std::isfinite(snapped)) snapped = scaled;
  return std::round(snapped) / scale;
}

std::string FormatNumber(double value) {
  if (value == 0) return "0";  // also folds -0
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed);
  return ec == std::errc() ? std::string(buffer, end) : std::string("nan");
}

}  // namespace kijun::engine
