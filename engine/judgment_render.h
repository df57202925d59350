#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "engine/ir.h"
#include "engine/judgment.h"

namespace kijun::engine {

// The result line `kijun judge` writes (format in docs/forms.md). Keys are in
// a fixed order so the same judgment always gives the same bytes.
nlohmann::ordered_json JudgmentToJson(const ir::RuleSet& rules, const Judgment& judgment);

// A reviewer's reading of the judgment, in Japanese ("ja") or English ("en").
std::string ExplainText(const ir::RuleSet& rules, const Judgment& judgment,
                        const std::string& lang);

// A calculated value as JSON: numbers, true/false, text; null when unknown.
nlohmann::ordered_json CalcValueToJson(const ir::Calc& calc, const Value& value);

}  // namespace kijun::engine
