#pragma once

// The form a disease version asks for, as JSON: its sections and items with
// their types, ranges, units, choices and whether they are required, so a
// client (the registry's draft editor, a hospital system) can build and
// pre-check the form. Derived from the rule file; see docs/forms.md.

#include <nlohmann/json.hpp>

#include "engine/ir.h"

namespace kijun::engine {

nlohmann::ordered_json FormSchemaToJson(const ir::RuleSet& rules);

// "integer", "decimal", "answer", … as in docs/forms.md.
const char* ItemKindName(ir::ItemKind kind);

}  // namespace kijun::engine
