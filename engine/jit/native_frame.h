#pragma once

// The memory a compiled rule function reads and writes. The layout is shared
// by the C++ side and the generated code (engine/jit/codegen.cc builds the
// same struct type), so fields may only be appended, never reordered.

#include <cstdint>
#include <string>
#include <vector>

namespace kijun::engine::jit {

// One run-time error raised by compiled code (division by zero, a power
// out of its domain, an index out of range), with its operands, for the
// C++ side to word exactly as the interpreter does. Only the runtime helpers
// (C++) make these, so the struct is not part of the generated code's layout.
struct NativeError {
  int32_t code = 0;  // see RuntimeErrorCode
  int32_t root = 0;  // the rule that raised it (VerdictLayout's numbering)
  double a = 0;
  double b = 0;
  // kExternalFunction: the message, already worded (engine/external_call.h).
  std::string ja;
  std::string en;
};

enum RuntimeErrorCode : int32_t {
  kDivisionByZero = 1,
  kPowerDomain = 2,
  kIndexOutOfRange = 3,
  kLoopTooLarge = 4,
  kExternalFunction = 6,
};

struct NativeFrame {
  // Items by slot: numbers as [lo, hi], truths as 0 false / 1 true / 2
  // unknown; a multiple choice as the bit set of its chosen options' indexes
  // in lo and hi, with truth 1 when answered and 2 when not.
  const double* item_lo = nullptr;
  const double* item_hi = nullptr;
  const uint8_t* item_truth = nullptr;
  // List items' elements, flattened; element_start[slot] is the first one.
  const double* element_lo = nullptr;
  const double* element_hi = nullptr;
  const uint8_t* element_truth = nullptr;
  const int32_t* element_start = nullptr;
  // Calculated values by slot, same encoding.
  const double* calc_lo = nullptr;
  const double* calc_hi = nullptr;
  const uint8_t* calc_truth = nullptr;
  // Classifications by slot: the decided level (-1 when undecided), the
  // possible levels as a bit set, and whether a qualifying level is reached.
  const int32_t* class_level = nullptr;
  const uint64_t* class_candidates = nullptr;
  const uint8_t* class_qualifies = nullptr;
  const int64_t* group_entries = nullptr;
  // The form's date (days since 1970-01-01); form_date_known is 0 or 1.
  double form_date = 0;
  int32_t form_date_known = 0;
  // The rule being evaluated, set by the fused judge before each rule, so
  // an error raised says which rule it came from.
  int32_t current_root = 0;
  // Run-time errors, appended by the runtime helpers.
  std::vector<NativeError>* errors = nullptr;
  // The form's variant as a text id (engine/jit/text_table.h), -1 unknown.
  double form_variant = -1;
};

// What a compiled root returns.
struct NativeValue {
  double lo = 0;
  double hi = 0;
  uint8_t truth = 2;
};

// A compiled root: a calculation, a condition or a check.
using NativeFunction = void (*)(const NativeFrame*, NativeValue*);

// A whole rule set's judgment in one call: every calculation (stored in the
// frame's calc arrays), every classification's decision (in its class
// arrays) and the truths of every level, clause, check and asked-when rule
// (in `verdict`, laid out by VerdictLayout). The frame's item fields are
// only read.
using NativeJudgeFunction = void (*)(NativeFrame*, uint8_t* verdict);

}  // namespace kijun::engine::jit
