#pragma once

// Demo accounts for the local default: one institution and one
// municipality (plus a second of each, to show what other parties cannot
// see), and a user for every role with a fresh random password and TOTP
// secret (sealed under the key folder's KEK, like every stored secret).
// Running it again resets those accounts' credentials.

#include <nlohmann/json.hpp>

#include "server/db/pg.h"
#include "server/record_keys.h"

namespace kijun::server {

// Creates or resets the demo accounts (as the database owner); returns
// {"users": [{"login", "password", "totp_secret", "role", …}], …}.
nlohmann::ordered_json SeedDemo(db::PgConnection& owner, RecordKeys& keys);

}  // namespace kijun::server
