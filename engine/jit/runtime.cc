#include "engine/jit/runtime.h"

#include "dsl/calendar.h"
#include "engine/external_call.h"
#include "engine/interval_math.h"

using kijun::engine::Number;
using kijun::engine::RuntimeError;
using kijun::engine::jit::NativeFrame;
using kijun::engine::jit::NativeValue;

namespace {

void Store(Number n, NativeValue* out) {
  out->lo = n.lo;
  out->hi = n.hi;
  out->truth = 2;
}

void Record(const NativeFrame* frame, RuntimeError error, double a, double b) {
  if (error == RuntimeError::kNone || frame->errors == nullptr) return;
  frame->errors->push_back({static_cast<int32_t>(error), frame->current_root, a, b, {}, {}});
}

}  // namespace

extern "C" {

void kijun_rt_mul(double a_lo, double a_hi, double b_lo, double b_hi, NativeValue* out) {
  Store(kijun::engine::Multiply({a_lo, a_hi}, {b_lo, b_hi}), out);
}

void kijun_rt_div(const NativeFrame* frame, double a_lo, double a_hi, double b_lo, double b_hi,
                  NativeValue* out) {
  RuntimeError error = RuntimeError::kNone;
  Store(kijun::engine::Divide({a_lo, a_hi}, {b_lo, b_hi}, error), out);
  Record(frame, error, 0, 0);
}

void kijun_rt_pow(const NativeFrame* frame, double a_lo, double a_hi, double b_lo, double b_hi,
                  NativeValue* out) {
  RuntimeError error = RuntimeError::kNone;
  Store(kijun::engine::Power({a_lo, a_hi}, {b_lo, b_hi}, error), out);
  Record(frame, error, a_lo, b_lo);
}

void kijun_rt_error(const NativeFrame* frame, int32_t code, double a, double b) {
  Record(frame, static_cast<RuntimeError>(code), a, b);
}

void kijun_rt_table_miss(const NativeFrame* frame, const char* name) {
  if (frame->errors == nullptr) return;
  std::string table = name;
  frame->errors->push_back({static_cast<int32_t>(RuntimeError::kExternalFunction),
                            frame->current_root, 0, 0,
                            "表「" + table + "」に該当する見出しがありません",
                            "table '" + table + "' has no such heading"});
}

double kijun_rt_round(double value, int32_t places) {
  return kijun::engine::RoundHalfAway(value, places);
}

double kijun_rt_age(double birth, double at) {
  return static_cast<double>(
      kijun::dsl::CompletedYears(static_cast<int64_t>(birth), static_cast<int64_t>(at)));
}

double kijun_rt_months(double from, double to) {
  return static_cast<double>(
      kijun::dsl::CompletedMonths(static_cast<int64_t>(from), static_cast<int64_t>(to)));
}

double kijun_rt_add_months_to_date(double days, double months) {
  return static_cast<double>(
      kijun::dsl::AddMonthsToDate(static_cast<int64_t>(days), static_cast<int64_t>(months)));
}

double kijun_rt_year_month(double days) {
  return static_cast<double>(kijun::dsl::YearMonthOfDate(static_cast<int64_t>(days)));
}

void kijun_rt_external(const NativeFrame* frame, const char* name, int32_t kind, int32_t status,
                       const kijun_plugin_value* result, const kijun_plugin_message* message,
                       NativeValue* out) {
  std::string ja, en;
  kijun::engine::Value v = kijun::engine::ExternalResult(
      name, static_cast<kijun::engine::ir::ExternalKind>(kind), status, *result, *message, ja, en);
  out->lo = v.number.lo;
  out->hi = v.number.hi;
  out->truth = static_cast<uint8_t>(v.truth);
  if (!en.empty() && frame->errors != nullptr) {
    frame->errors->push_back({static_cast<int32_t>(RuntimeError::kExternalFunction),
                              frame->current_root, 0, 0, std::move(ja), std::move(en)});
  }
}
}

namespace kijun::engine::jit {

const RuntimeSymbol* RuntimeSymbols(int& count) {
  static const RuntimeSymbol kSymbols[] = {
      {"kijun_rt_mul", reinterpret_cast<void*>(&kijun_rt_mul)},
      {"kijun_rt_div", reinterpret_cast<void*>(&kijun_rt_div)},
      {"kijun_rt_pow", reinterpret_cast<void*>(&kijun_rt_pow)},
      {"kijun_rt_error", reinterpret_cast<void*>(&kijun_rt_error)},
      {"kijun_rt_table_miss", reinterpret_cast<void*>(&kijun_rt_table_miss)},
      {"kijun_rt_round", reinterpret_cast<void*>(&kijun_rt_round)},
      {"kijun_rt_age", reinterpret_cast<void*>(&kijun_rt_age)},
      {"kijun_rt_months", reinterpret_cast<void*>(&kijun_rt_months)},
      {"kijun_rt_year_month", reinterpret_cast<void*>(&kijun_rt_year_month)},
      {"kijun_rt_add_months_to_date", reinterpret_cast<void*>(&kijun_rt_add_months_to_date)},
      {"kijun_rt_external", reinterpret_cast<void*>(&kijun_rt_external)},
  };
  count = static_cast<int>(sizeof kSymbols / sizeof kSymbols[0]);
  return kSymbols;
}

}  // namespace kijun::engine::jit
