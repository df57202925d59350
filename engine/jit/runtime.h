#pragma once

// Functions compiled rule code calls for the operations that share their
// exact arithmetic with the interpreter (engine/interval_math.h) or need the
// calendar. Plain C ABI; registered in the JIT by absolute address.

#include <cstdint>

#include "engine/jit/native_frame.h"
#include "plugins/kijun_plugin.h"

extern "C" {

void kijun_rt_mul(double a_lo, double a_hi, double b_lo, double b_hi,
                  kijun::engine::jit::NativeValue* out);
void kijun_rt_div(const kijun::engine::jit::NativeFrame* frame, double a_lo, double a_hi,
                  double b_lo, double b_hi, kijun::engine::jit::NativeValue* out);
void kijun_rt_pow(const kijun::engine::jit::NativeFrame* frame, double a_lo, double a_hi,
                  double b_lo, double b_hi, kijun::engine::jit::NativeValue* out);
void kijun_rt_error(const kijun::engine::jit::NativeFrame* frame, int32_t code, double a, double b);
// A look-up found no row or column for its keys in table `name`
// (NUL-terminated): the interpreter's message, into the frame's errors.
void kijun_rt_table_miss(const kijun::engine::jit::NativeFrame* frame, const char* name);
double kijun_rt_round(double value, int32_t places);
double kijun_rt_age(double birth, double at);
double kijun_rt_months(double from, double to);
double kijun_rt_year_month(double days);
double kijun_rt_add_months_to_date(double days, double months);
// After compiled code has called a plugin function `name` (NUL-terminated)
// of result kind `kind` (an ir::ExternalKind): its value, as the interpreter
// reads it (engine::ExternalResult), into `out`, and its error, if any, into
// the frame's errors.
void kijun_rt_external(const kijun::engine::jit::NativeFrame* frame, const char* name, int32_t kind,
                       int32_t status, const kijun_plugin_value* result,
                       const kijun_plugin_message* message, kijun::engine::jit::NativeValue* out);
}

namespace kijun::engine::jit {

// Name and address of every runtime function, for the JIT's symbol table.
struct RuntimeSymbol {
  const char* name;
  void* address;
};
const RuntimeSymbol* RuntimeSymbols(int& count);

}  // namespace kijun::engine::jit
