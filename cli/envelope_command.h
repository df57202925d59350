#pragma once

// `kijun envelope seal|open|verify`: makes and checks payload envelopes
// (server/envelope.h, docs/envelope.md) for tests and operators.

#include <string>
#include <vector>

namespace kijun::cli {

// `args` are the words after `kijun envelope`. Returns the exit status: 0
// done, 1 the envelope was refused (the bilingual reason on stderr), 2 a
// usage error or a file that cannot be read or written.
int RunEnvelopeCommand(const std::vector<std::string>& args);

}  // namespace kijun::cli
