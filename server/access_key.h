#pragma once

// Access keys (アクセスキー): what a patient's paper application carries so
// the municipality can fetch the confirmed form. 80 random bits written as
// four groups of four characters from Crockford's base32 alphabet (no I, L,
// O, U), e.g. "7K2M-QX9D-4TAB-HR6E"; and the content digest printed beside
// it so paper and database can be compared.

#include <string>

namespace kijun::server {

std::string NewAccessKey();

// Upper-cases and strips spaces; false when it is not a well-formed key.
bool NormaliseAccessKey(std::string& key);

}  // namespace kijun::server
