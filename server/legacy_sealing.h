#pragma once

// Rows written before encryption at rest (migration 006) still hold their
// values in the plaintext columns. At start the server seals them, row by
// row, each in its own transaction: the values move to the sealed columns
// under a new data key and the plaintext columns are emptied. Nothing is
// lost if it stops midway; the next start continues.

#include <cstdint>

#include "server/db/pg.h"
#include "server/record_keys.h"

namespace kijun::server {

// Runs as the database owner. Returns how many rows it sealed.
int64_t SealEarlierRows(db::PgConnection& owner, RecordKeys& keys);

// The same for the accounts' TOTP secrets stored in the clear before
// migration 008 (registry.users.totp_secret): each is sealed under a new
// data key and the plaintext column emptied, one user per transaction.
// Returns how many it sealed.
int64_t SealPlaintextTotpSecrets(db::PgConnection& owner, RecordKeys& keys);

}  // namespace kijun::server
