#pragma once

// `kijun-admin rules …`: the registry operator's rule deployment from the
// command line, against a running registry over mutual TLS — list the
// versions serving, deploy a (signed) bundle, roll back.

#include <string>
#include <vector>

namespace kijun::server {

// `args` starts after "rules". Returns the process exit status: 0 done,
// 1 refused by the registry, 2 bad usage or unreachable.
int RunRulesCommand(const std::vector<std::string>& args);

}  // namespace kijun::server
