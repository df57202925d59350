#pragma once

// The server's TLS context: TLS 1.2 and later, forward-secret AEAD cipher
// suites only, and mutual TLS — a terminal connects at all only with a
// client certificate issued by the registry's CA and not on its revocation
// list.

#include <Poco/Net/Context.h>

#include <string>

#include "server/server_config.h"

namespace kijun::server {

// Throws std::runtime_error naming the file when the key, certificate, CA
// or CRL cannot be read.
Poco::Net::Context::Ptr MakeServerContext(const ServerConfig& config);

}  // namespace kijun::server
