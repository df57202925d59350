#pragma once

// A user's TOTP secret, sealed at rest in registry.users (migration 008)
// the way the tiers' records are: a data key of its own in
// registry.data_keys, wrapped by the key-encryption key, and the secret
// sealed with it bound to "registry.users/<user id>/totp_secret", so a
// sealed secret copied to another user's row does not open.

#include <cstdint>
#include <string>
#include <string_view>

#include "server/db/pg.h"
#include "server/record_keys.h"

namespace kijun::server {

struct SealedTotpSecret {
  int64_t data_key_id;
  std::string sealed;  // bytea text form, for registry.users.totp_secret_sealed
};

// The place a user's secret is bound to: "registry.users/7/totp_secret".
std::string TotpSecretPlace(int64_t user_id);

// Seals `secret` for user `user_id` under a new data key, which is stored
// on `c` (inside the caller's transaction, with the row that refers to it).
SealedTotpSecret SealTotpSecret(db::PgConnection& c, RecordKeys& keys, int64_t user_id,
                                std::string_view secret);

// The base32 secret of user `user_id`; DecryptionError when the sealed value
// or its data key was moved from another row, changed, or is under a KEK
// that does not open it.
std::string OpenTotpSecret(db::PgConnection& c, RecordKeys& keys, int64_t user_id,
                           int64_t data_key_id, std::string_view sealed);

}  // namespace kijun::server
