#pragma once

// Where a rule set's fused judge (engine/jit/codegen.h) writes what it
// decides, besides the calculated values and classification decisions it
// stores in the NativeFrame: one byte (a truth: 0 false, 1 true, 2 unknown)
// per level condition, per clause of each level condition (the explanation),
// per check and per asked-when rule. Also numbers every rule ("root") so a
// run-time error can say which rule raised it. Built the same way from the
// same rules by the code generator and the C++ side that reads the verdict.

#include <cstdint>
#include <vector>

#include "engine/ir.h"

namespace kijun::engine::jit {

struct VerdictLayout {
  // Byte offsets, by classification and level (-1: an `otherwise` level).
  std::vector<std::vector<int>> level;
  // Byte offset of the first clause of each level condition, and how many.
  std::vector<std::vector<int>> clause_start;
  std::vector<std::vector<int>> clause_count;
  std::vector<int> check;  // by check index
  std::vector<int> asked;  // by item slot (-1: no asked-when rule)
  int size = 0;            // bytes in all

  // Root numbers: calculations first, then level conditions in order, then
  // checks, then asked-when rules.
  std::vector<std::vector<int>> level_root;
  std::vector<int> check_root;
  std::vector<int> asked_root;

  static VerdictLayout Of(const ir::RuleSet& rules);
};

// The clauses of a level condition as the explanation lists them: the
// operands of its top-level `and` (or `or`), nested ones of the same
// operator flattened, or the condition itself.
std::vector<const ir::Node*> ConditionClauses(const ir::Node& condition);

}  // namespace kijun::engine::jit
