#pragma once

#include <string>

#include "dsl/diagnostic.h"
#include "dsl/source_file.h"

namespace kijun::dsl {

// Lays a rule file out canonically (`kijun fmt`): two-space indents, one
// declaration per line, canonical expressions, comments kept in place
// (own-line comments before the declaration that follows them, end-of-line
// comments after their line). Idempotent. Returns false, with diagnostics,
// when the file does not parse; the file is then left alone.
bool FormatRuleFile(const SourceFile& source, Diagnostics& diagnostics, std::string& formatted);

}  // namespace kijun::dsl
