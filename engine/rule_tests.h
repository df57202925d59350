#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dsl/program.h"
#include "engine/compiled_rules.h"
#include "engine/ir.h"
#include "engine/judgment.h"

namespace kijun::engine {

struct RuleTestFailure {
  std::string where;  // file:line of the expectation
  std::string test;
  std::string expected;
  std::string actual;
};

struct RuleTestReport {
  int passed = 0;
  int failed = 0;
  std::vector<RuleTestFailure> failures;
};

// The form of one example patient: its variant and date, and its answers
// into `items`.
FormInput TestCaseForm(const dsl::ast::TestCase& test, nlohmann::json& items);

// Runs the example patients written in the program's main file against
// `rules` (the lowered form of the same program) and compares every
// expectation. A test passes when all its expectations hold.
// With `compiled`, the rules run on the JIT's native code.
RuleTestReport RunRuleTests(const dsl::Program& program, const ir::RuleSet& rules,
                            CompiledRules* compiled = nullptr);

}  // namespace kijun::engine
