#pragma once

#include <string>
#include <string_view>

namespace kijun::dsl {

// The SHA-256 digest of `data` as 64 lowercase hex digits (OpenSSL).
std::string Sha256Hex(std::string_view data);

}  // namespace kijun::dsl
