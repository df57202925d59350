#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "engine/ir.h"
#include "engine/judgment.h"
#include "engine/value.h"

namespace kijun::engine {

// A form's answers checked against the schema: one value per item slot.
// Answers of the wrong type or out of range are reported and read as
// unknown, so a rule never sees an invalid value.
struct BoundForm {
  std::vector<Value> values;
  std::vector<AnswerState> states;
  std::vector<int64_t> group_entries;  // per group
  std::vector<Message> messages;
};

// Binds the JSON object of answers (`items`) to `rules`' items.
BoundForm BindForm(const ir::RuleSet& rules, const nlohmann::json& items);

// The value an unanswered item reads as: unknown, bounded by its range.
Value UnknownValueOf(const ir::ItemSchema& schema);

// An item's answer as shown to people: 該当, 2 (女), 2024-05-01, 未記入 …
std::string ShowItemValue(const ir::ItemSchema& schema, const Value& value, AnswerState state);

}  // namespace kijun::engine
