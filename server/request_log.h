#pragma once

// One line per API request on the server's log: when, from which terminal,
// who (once signed in), what, the answer's status and how long it took. The
// tamper-evident audit trail of patient-data access is separate (issue 7);
// this is the operations log.

#include <chrono>
#include <ostream>
#include <string>

#include "server/api.h"

namespace kijun::server {

// The signed-in user of the request being handled on this thread ("" when
// none); set by AuthService::Authenticate.
void SetRequestActor(const std::string& actor);
const std::string& RequestActor();

// Writes the line (thread-safe) to `out`.
void LogRequest(std::ostream& out, const ApiRequest& request, int status,
                std::chrono::steady_clock::duration took);

}  // namespace kijun::server
