#pragma once

// Per-record data keys. Each sealed record (a patient, a form, an
// application, a registration, a user's TOTP secret) has its own random
// AES-256 data key, stored in its tier's data_keys table wrapped by a key-encryption key that is
// not in the database (KeyEncryptionKeys). A record's values are sealed with its data key and bound
// to their place, "<table>/<row id>/<column>" (field_cipher.h).

#include <cstdint>
#include <string>
#include <string_view>

#include "server/db/pg.h"
#include "server/key_encryption_keys.h"

namespace kijun::server {

// kRegistry holds the accounts' sealed TOTP secrets (registry.data_keys).
enum class SealedTier { kInstitution, kMunicipality, kNational, kRegistry };

// "<schema>.data_keys" of the tier.
const char* DataKeyTable(SealedTier tier);

// The place a value is bound to: "institution.patients/42/identity".
std::string Place(std::string_view table, int64_t row, std::string_view column);

// One record's opened data key.
class RecordSeal {
 public:
  RecordSeal(int64_t key_id, std::string key) : key_id_(key_id), key_(std::move(key)) {}
  int64_t key_id() const { return key_id_; }
  // The sealed value in bytea text form, ready as a statement parameter.
  std::string Seal(const std::string& place, std::string_view plaintext) const;
  // Opens a bytea column's text; DecryptionError when it does not belong
  // to `place` or was changed.
  std::string Open(const std::string& place, std::string_view bytea_hex) const;

 private:
  int64_t key_id_;
  std::string key_;
};

class RecordKeys {
 public:
  explicit RecordKeys(KeyEncryptionKeys& keks) : keks_(keks) {}

  // A new data key, wrapped and stored (inside the caller's transaction).
  RecordSeal Create(db::PgConnection& c, SealedTier tier);
  // The data key `key_id` of the tier, unwrapped.
  RecordSeal Load(db::PgConnection& c, SealedTier tier, int64_t key_id);

  KeyEncryptionKeys& keks() { return keks_; }

 private:
  KeyEncryptionKeys& keks_;
};

}  // namespace kijun::server
