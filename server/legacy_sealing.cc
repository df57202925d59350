#include "server/legacy_sealing.h"

#include <nlohmann/json.hpp>

#include "server/blind_index.h"
#include "server/sealed_totp_secret.h"

namespace kijun::server {

using nlohmann::json;

namespace {

constexpr db::Statement kPatients = {
    "ls_patients",
    "SELECT id, name, kana, to_char(birth_date, 'YYYY-MM-DD'), insurance_number"
    " FROM institution.patients WHERE identity IS NULL LIMIT 100"};
constexpr db::Statement kSealPatient = {
    "ls_seal_patient",
    "UPDATE institution.patients SET data_key_id = $2, identity = $3::bytea, blind_index = $4,"
    " blind_index_key = $5, name = NULL, kana = NULL, birth_date = NULL, insurance_number = NULL "
    "WHERE id = $1"};
constexpr db::Statement kForms = {
    "ls_forms",
    "SELECT id, items::text, judgment::text FROM institution.forms WHERE items_sealed IS NULL"
    " LIMIT 100"};
constexpr db::Statement kSealForm = {
    "ls_seal_form",
    "UPDATE institution.forms SET data_key_id = $2, items_sealed = $3::bytea,"
    " judgment_sealed = $4::bytea, items = NULL, judgment = NULL WHERE id = $1"};
constexpr db::Statement kComments = {
    "ls_comments",
    "SELECT c.id, c.body, f.data_key_id FROM institution.comments c"
    " JOIN institution.forms f ON f.id = c.form_id"
    " WHERE c.body_sealed IS NULL AND f.data_key_id IS NOT NULL LIMIT 100"};
constexpr db::Statement kSealComment = {
    "ls_seal_comment",
    "UPDATE institution.comments SET body_sealed = $2::bytea, body = NULL WHERE id = $1"};
constexpr db::Statement kApplications = {
    "ls_applications",
    "SELECT id, patient::text, items::text, judgment::text, decision_reason"
    " FROM municipality.applications WHERE patient_sealed IS NULL LIMIT 100"};
constexpr db::Statement kSealApplication = {
    "ls_seal_application",
    "UPDATE municipality.applications SET data_key_id = $2, patient_sealed = $3::bytea,"
    " items_sealed = $4::bytea, judgment_sealed = $5::bytea, decision_reason_sealed = $6::bytea,"
    " patient = NULL, items = NULL, judgment = NULL, decision_reason = NULL WHERE id = $1"};
constexpr db::Statement kRegistrations = {
    "ls_registrations",
    "SELECT id, items::text, judgment::text FROM national.registrations"
    " WHERE items_sealed IS NULL LIMIT 100"};
constexpr db::Statement kSealRegistration = {
    "ls_seal_registration",
    "UPDATE national.registrations SET data_key_id = $2, items_sealed = $3::bytea,"
    " judgment_sealed = $4::bytea, items = NULL, judgment = NULL WHERE id = $1"};

constexpr db::Statement kTotpSecrets = {
    "ls_totp_secrets",
    "SELECT id, totp_secret, data_key_id FROM registry.users WHERE totp_secret IS NOT NULL"
    " LIMIT 100"};
constexpr db::Statement kSealTotpSecret = {
    "ls_seal_totp_secret",
    "UPDATE registry.users SET data_key_id = $2, totp_secret_sealed = $3::bytea,"
    " totp_secret = NULL WHERE id = $1"};
// The data key of a sealed secret the plaintext one replaces (written by an
// earlier kijun-admin after sealing began).
constexpr db::Statement kDropRegistryDataKey = {"ls_drop_registry_data_key",
                                                "DELETE FROM registry.data_keys WHERE id = $1"};

db::Param SealOptional(const RecordSeal& seal, const std::string& place,
                       const std::optional<std::string>& value) {
  if (!value) return std::nullopt;
  return seal.Seal(place, *value);
}

// Seals batches of `select`'s rows with `seal_row` until none are left.
template <typename SealRow>
int64_t SealAll(db::PgConnection& c, const db::Statement& select, SealRow seal_row) {
  int64_t sealed = 0;
  for (;;) {
    db::PgResult rows = c.Run(select);
    if (rows.rows() == 0) return sealed;
    for (int i = 0; i < rows.rows(); ++i) {
      db::Transaction tx(c);
      seal_row(rows, i);
      tx.Commit();
      ++sealed;
    }
  }
}

}  // namespace

int64_t SealEarlierRows(db::PgConnection& owner, RecordKeys& keys) {
  BlindIndexKey index_key = keys.keks().CurrentBlindIndexKey();
  int64_t sealed = SealAll(owner, kPatients, [&](const db::PgResult& r, int i) {
    int64_t id = r.Int(i, 0);
    json identity = {{"name", r.Text(i, 1)}, {"kana", r.Text(i, 2)}, {"birth_date", r.Text(i, 3)}};
    std::optional<std::string> insurance = r.Optional(i, 4);
    identity["insurance_number"] = insurance ? json(*insurance) : json(nullptr);
    RecordSeal seal = keys.Create(owner, SealedTier::kInstitution);
    owner.Run(
        kSealPatient,
        {std::to_string(id), std::to_string(seal.key_id()),
         seal.Seal(Place("institution.patients", id, "identity"), identity.dump()),
         PatientBlindIndex(index_key.key, r.Text(i, 1), r.Text(i, 3), insurance), index_key.id});
  });
  sealed += SealAll(owner, kForms, [&](const db::PgResult& r, int i) {
    int64_t id = r.Int(i, 0);
    RecordSeal seal = keys.Create(owner, SealedTier::kInstitution);
    owner.Run(kSealForm,
              {std::to_string(id), std::to_string(seal.key_id()),
               seal.Seal(Place("institution.forms", id, "items"), r.Text(i, 1)),
               SealOptional(seal, Place("institution.forms", id, "judgment"), r.Optional(i, 2))});
  });
  sealed += SealAll(owner, kComments, [&](const db::PgResult& r, int i) {
    int64_t id = r.Int(i, 0);
    RecordSeal seal = keys.Load(owner, SealedTier::kInstitution, r.Int(i, 2));
    owner.Run(kSealComment, {std::to_string(id),
                             seal.Seal(Place("institution.comments", id, "body"), r.Text(i, 1))});
  });
  sealed += SealAll(owner, kApplications, [&](const db::PgResult& r, int i) {
    int64_t id = r.Int(i, 0);
    RecordSeal seal = keys.Create(owner, SealedTier::kMunicipality);
    const std::string table = "municipality.applications";
    owner.Run(kSealApplication,
              {std::to_string(id), std::to_string(seal.key_id()),
               seal.Seal(Place(table, id, "patient"), r.Text(i, 1)),
               seal.Seal(Place(table, id, "items"), r.Text(i, 2)),
               seal.Seal(Place(table, id, "judgment"), r.Text(i, 3)),
               SealOptional(seal, Place(table, id, "decision_reason"), r.Optional(i, 4))});
  });
  sealed += SealAll(owner, kRegistrations, [&](const db::PgResult& r, int i) {
    int64_t id = r.Int(i, 0);
    RecordSeal seal = keys.Create(owner, SealedTier::kNational);
    // The research copy keeps no full birth date in its items.
    json items = json::parse(r.Text(i, 1));
    items.erase("生年月日");
    owner.Run(kSealRegistration,
              {std::to_string(id), std::to_string(seal.key_id()),
               seal.Seal(Place("national.registrations", id, "items"), items.dump()),
               seal.Seal(Place("national.registrations", id, "judgment"), r.Text(i, 2))});
  });
  return sealed;
}

int64_t SealPlaintextTotpSecrets(db::PgConnection& owner, RecordKeys& keys) {
  return SealAll(owner, kTotpSecrets, [&](const db::PgResult& r, int i) {
    int64_t id = r.Int(i, 0);
    SealedTotpSecret sealed = SealTotpSecret(owner, keys, id, r.Text(i, 1));
    owner.Run(kSealTotpSecret,
              {std::to_string(id), std::to_string(sealed.data_key_id), sealed.sealed});
    if (!r.IsNull(i, 2)) owner.Run(kDropRegistryDataKey, {r.Text(i, 2)});
  });
}

}  // namespace kijun::server
