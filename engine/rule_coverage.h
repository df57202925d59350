#pragma once

// Rule coverage: which conditions of a rule file its own tests exercise both
// ways. The conditions are: the whole condition of every diagnosis, severity
// and outcome level, every check and every yes/no calculation written in the
// file; their clauses (the operands of a chain of and / or, as explanations
// show them, and of "k of n", any and all); and the condition of every
// `cases` branch and `if` inside them or inside any calculation. A condition
// is exercised both ways when some test makes it true and some test makes it
// false; an unknown result counts as neither. Conditions that can never be
// false by construction (answered(), which is true or unknown, and what is
// built only from it) and constants are left out.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dsl/program.h"
#include "engine/ir.h"

namespace kijun::engine {

struct ConditionCoverage {
  std::string where;  // file:line:column of the level or check
  int line = 0;
  std::string owner;  // the classification or check name
  std::string level;  // the level's name; "" for a check
  std::string text;   // the condition as written
  bool whole = true;  // a rule's whole condition, not a clause or branch inside it
  bool seen_true = false;
  bool seen_false = false;

  bool Covered() const { return seen_true && seen_false; }
};

struct FileCoverage {
  std::string path;
  int tests = 0;
  std::vector<ConditionCoverage> conditions;

  int Covered() const;
  int Total() const { return static_cast<int>(conditions.size()); }
};

// Runs the tests of `program`'s main file on the reference interpreter and
// records, for each condition written in that file, the truth values seen.
// Conditions of imported modules are left to the modules' own tests.
FileCoverage MeasureRuleCoverage(const dsl::Program& program, const ir::RuleSet& rules);

// {"path", "tests", "covered", "total", "conditions": [...]} for one file.
nlohmann::json CoverageToJson(const FileCoverage& coverage);

}  // namespace kijun::engine
