#pragma once

#include <string>

#include "dsl/program.h"

namespace kijun::dsl {

// The program's declarations with every expression as an S-expression,
// annotated with what the passes so far have found (symbols, types).
// For `kijun dump --after=PASS`.
std::string DumpProgram(const Program& program);

}  // namespace kijun::dsl
