#pragma once

#include "dsl/program.h"
#include "engine/ir.h"

namespace kijun::engine {

// Lowers a program that passed every front-end pass into the executable IR.
// Must not be called on a program with errors.
ir::RuleSet LowerToIr(const dsl::Program& program);

}  // namespace kijun::engine
