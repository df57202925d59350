#pragma once

// Arithmetic and comparison on partly known numbers ([lo, hi] intervals),
// shared by the interpreter and the JIT's runtime so that both compute
// exactly the same doubles.

#include <string>

#include "engine/value.h"

namespace kijun::engine {

// Whatever both values allow.
Number Hull(Number a, Number b);
// Interval product; a zero factor makes the product zero (0 × ∞ = 0).
Number Multiply(Number a, Number b);
// a < b (or a <= b): decided only when the intervals decide it.
Truth Less(Number a, Number b, bool or_equal);
// a = b: true only when both are known and equal; false when they cannot meet.
Truth Equal(Number a, Number b);

// Run-time errors a calculation can raise. The codes are shared with
// compiled code (engine/jit/native_frame.h).
enum class RuntimeError : int {
  kNone = 0,
  kDivisionByZero = 1,
  kPowerDomain = 2,
  kIndexOutOfRange = 3,
  kLoopTooLarge = 4,
  kNoSuchHeading = 5,
  // A plugin function's domain error or broken promise; the message comes
  // with it (engine/external_call.h), not from DescribeRuntimeError.
  kExternalFunction = 6,
};

// a / b. Division by a known zero is an error when a is known, and unknown.
Number Divide(Number a, Number b, RuntimeError& error);
// base ^ exponent. A negative base with a fractional exponent, or zero to a
// negative power, is an error.
Number Power(Number base, Number exponent, RuntimeError& error);

// The message for a run-time error, in Japanese and English, with its
// operands (the exponent's base and power; the bad index).
void DescribeRuntimeError(RuntimeError error, double a, double b, std::string& ja, std::string& en);

}  // namespace kijun::engine
