#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/ir.h"
#include "engine/jit/jit_engine.h"

namespace kijun::engine::jit {

// The outcome of judging random forms with both engines.
struct Difference {
  bool found = false;
  int forms = 0;                 // forms compared
  nlohmann::json minimal_items;  // the smallest form that still differs
  std::string variant;
  std::optional<int64_t> date;
  std::string interpreter;  // the two results, as JSON lines
  std::string jit;
};

// Judges `forms` random forms (valid, boundary, out-of-range, wrong type,
// missing, 不明; see RandomForms) with the interpreter and with `native`, and
// compares the whole result (values, messages, explanation) byte for byte.
// Stops at the first difference and shrinks the form to the fewest answers
// that still show it.
Difference CompareEngines(const ir::RuleSet& rules, const NativeRuleSet& native, int forms,
                          uint64_t seed);

}  // namespace kijun::engine::jit
