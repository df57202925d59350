#pragma once

#include <string>

#include "engine/ir.h"

namespace kijun::engine {

// The IR as text: slots, kinds and every node, for `kijun dump --after=lower_to_ir`.
std::string DumpRuleSet(const ir::RuleSet& rules);

}  // namespace kijun::engine
