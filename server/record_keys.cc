#include "server/record_keys.h"

#include <stdexcept>

#include "server/field_cipher.h"

namespace kijun::server {

namespace {

struct TierStatements {
  db::Statement next_id, insert, select;
};

// Prepared statements only: one set per tier (table names cannot be
// parameters).
const TierStatements& StatementsOf(SealedTier tier) {
  static const TierStatements kInstitution = {
      {"rk_next_institution", "SELECT nextval('institution.data_keys_id_seq')"},
      {"rk_insert_institution",
       "INSERT INTO institution.data_keys (id, kek_id, wrapped) VALUES ($1, $2, $3::bytea)"},
      {"rk_select_institution", "SELECT kek_id, wrapped FROM institution.data_keys WHERE id = $1"}};
  static const TierStatements kMunicipality = {
      {"rk_next_municipality", "SELECT nextval('municipality.data_keys_id_seq')"},
      {"rk_insert_municipality",
       "INSERT INTO municipality.data_keys (id, kek_id, wrapped) VALUES ($1, $2, $3::bytea)"},
      {"rk_select_municipality",
       "SELECT kek_id, wrapped FROM municipality.data_keys WHERE id = $1"}};
  static const TierStatements kNational = {
      {"rk_next_national", "SELECT nextval('national.data_keys_id_seq')"},
      {"rk_insert_national",
       "INSERT INTO national.data_keys (id, kek_id, wrapped) VALUES ($1, $2, $3::bytea)"},
      {"rk_select_national", "SELECT kek_id, wrapped FROM national.data_keys WHERE id = $1"}};
  static const TierStatements kRegistry = {
      {"rk_next_registry", "SELECT nextval('registry.data_keys_id_seq')"},
      {"rk_insert_registry",
       "INSERT INTO registry.data_keys (id, kek_id, wrapped) VALUES ($1, $2, $3::bytea)"},
      {"rk_select_registry", "SELECT kek_id, wrapped FROM registry.data_keys WHERE id = $1"}};
  switch (tier) {
    case SealedTier::kInstitution:
      return kInstitution;
    case SealedTier::kMunicipality:
      return kMunicipality;
    case SealedTier::kNational:
      return kNational;
    case SealedTier::kRegistry:
      return kRegistry;
  }
  throw std::logic_error("unknown tier");
}

}  // namespace

const char* DataKeyTable(SealedTier tier) {
  switch (tier) {
    case SealedTier::kInstitution:
      return "institution.data_keys";
    case SealedTier::kMunicipality:
      return "municipality.data_keys";
    case SealedTier::kNational:
      return "national.data_keys";
    case SealedTier::kRegistry:
      return "registry.data_keys";
  }
  throw std::logic_error("unknown tier");
}

std::string Place(std::string_view table, int64_t row, std::string_view column) {
  return std::string(table) + "/" + std::to_string(row) + "/" + std::string(column);
}

std::string RecordSeal::Seal(const std::string& place, std::string_view plaintext) const {
  return ToByteaHex(server::Seal(key_, plaintext, place));
}

std::string RecordSeal::Open(const std::string& place, std::string_view bytea_hex) const {
  return server::Open(key_, FromByteaHex(bytea_hex), place);
}

RecordSeal RecordKeys::Create(db::PgConnection& c, SealedTier tier) {
  const TierStatements& s = StatementsOf(tier);
  int64_t id = c.Run(s.next_id).Int(0, 0);
  std::string key = RandomBytes(kDataKeyBytes);
  WrappedKey wrapped = keks_.Wrap(key, Place(DataKeyTable(tier), id, "wrapped"));
  c.Run(s.insert, {std::to_string(id), wrapped.kek_id, ToByteaHex(wrapped.bytes)});
  return {id, std::move(key)};
}

RecordSeal RecordKeys::Load(db::PgConnection& c, SealedTier tier, int64_t key_id) {
  db::PgResult r = c.Run(StatementsOf(tier).select, {std::to_string(key_id)});
  if (r.rows() == 0) {
    throw DecryptionError(std::string("data key ") + std::to_string(key_id) + " missing from " +
                          DataKeyTable(tier));
  }
  WrappedKey wrapped{r.Text(0, 0), FromByteaHex(r.Text(0, 1))};
  return {key_id, keks_.Unwrap(wrapped, Place(DataKeyTable(tier), key_id, "wrapped"))};
}

}  // namespace kijun::server
