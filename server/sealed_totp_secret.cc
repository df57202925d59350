#include "server/sealed_totp_secret.h"

namespace kijun::server {

std::string TotpSecretPlace(int64_t user_id) {
  return Place("registry.users", user_id, "totp_secret");
}

SealedTotpSecret SealTotpSecret(db::PgConnection& c, RecordKeys& keys, int64_t user_id,
                                std::string_view secret) {
  RecordSeal seal = keys.Create(c, SealedTier::kRegistry);
  return {seal.key_id(), seal.Seal(TotpSecretPlace(user_id), secret)};
}

std::string OpenTotpSecret(db::PgConnection& c, RecordKeys& keys, int64_t user_id,
                           int64_t data_key_id, std::string_view sealed) {
  return keys.Load(c, SealedTier::kRegistry, data_key_id).Open(TotpSecretPlace(user_id), sealed);
}

}  // namespace kijun::server
