#include "server/key_rotation.h"

#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "server/blind_index.h"
#include "server/field_cipher.h"
#include "server/record_keys.h"

namespace kijun::server {

namespace {

struct TableStatements {
  SealedTier tier;
  db::Statement pending, rewrap, in_use;
};

const TableStatements kTables[] = {
    {SealedTier::kInstitution,
     {"kr_pending_institution",
      "SELECT id, kek_id, wrapped FROM institution.data_keys WHERE kek_id <> $1 ORDER BY id"
      " LIMIT $2 FOR UPDATE SKIP LOCKED"},
     {"kr_rewrap_institution",
      "UPDATE institution.data_keys SET kek_id = $2, wrapped = $3::bytea WHERE id = $1"},
     {"kr_in_use_institution", "SELECT DISTINCT kek_id FROM institution.data_keys"}},
    {SealedTier::kMunicipality,
     {"kr_pending_municipality",
      "SELECT id, kek_id, wrapped FROM municipality.data_keys WHERE kek_id <> $1 ORDER BY id"
      " LIMIT $2 FOR UPDATE SKIP LOCKED"},
     {"kr_rewrap_municipality",
      "UPDATE municipality.data_keys SET kek_id = $2, wrapped = $3::bytea WHERE id = $1"},
     {"kr_in_use_municipality", "SELECT DISTINCT kek_id FROM municipality.data_keys"}},
    {SealedTier::kNational,
     {"kr_pending_national",
      "SELECT id, kek_id, wrapped FROM national.data_keys WHERE kek_id <> $1 ORDER BY id"
      " LIMIT $2 FOR UPDATE SKIP LOCKED"},
     {"kr_rewrap_national",
      "UPDATE national.data_keys SET kek_id = $2, wrapped = $3::bytea WHERE id = $1"},
     {"kr_in_use_national", "SELECT DISTINCT kek_id FROM national.data_keys"}},
    // The accounts' TOTP secrets (migration 008).
    {SealedTier::kRegistry,
     {"kr_pending_registry",
      "SELECT id, kek_id, wrapped FROM registry.data_keys WHERE kek_id <> $1 ORDER BY id"
      " LIMIT $2 FOR UPDATE SKIP LOCKED"},
     {"kr_rewrap_registry",
      "UPDATE registry.data_keys SET kek_id = $2, wrapped = $3::bytea WHERE id = $1"},
     {"kr_in_use_registry", "SELECT DISTINCT kek_id FROM registry.data_keys"}},
};

constexpr db::Statement kIndexPending = {
    "kr_index_pending",
    "SELECT id FROM institution.patients WHERE blind_index_key <> $1 AND id > $2 ORDER BY id"
    " LIMIT $3"};
// NO KEY UPDATE: forms being written for the patient hold KEY SHARE locks
// on its row (their foreign key), which this does not wait for.
constexpr db::Statement kIndexRow = {
    "kr_index_row",
    "SELECT data_key_id, identity, blind_index_key FROM institution.patients"
    " WHERE id = $1 AND blind_index_key <> $2 FOR NO KEY UPDATE"};
constexpr db::Statement kIndexUpdate = {
    "kr_index_update",
    "UPDATE institution.patients SET blind_index = $2, blind_index_key = $3 WHERE id = $1"};
constexpr db::Statement kIndexInUse = {
    "kr_index_in_use",
    "SELECT blind_index_key, count(*) FROM institution.patients"
    " WHERE blind_index_key IS NOT NULL GROUP BY blind_index_key"};

constexpr const char* kPatientsTable = "institution.patients";

// The patient's blind index under `key`, from the row's sealed identity;
// DecryptionError (or a JSON error) when the identity does not open.
std::string IndexOfRow(db::PgConnection& owner, RecordKeys& record_keys, int64_t id,
                       const db::PgResult& row, const std::string& key) {
  if (row.IsNull(0, 0) || row.IsNull(0, 1)) {
    throw DecryptionError("the row has no sealed identity or no data key");
  }
  RecordSeal seal = record_keys.Load(owner, SealedTier::kInstitution, row.Int(0, 0));
  nlohmann::json identity =
      nlohmann::json::parse(seal.Open(Place(kPatientsTable, id, "identity"), row.Text(0, 1)));
  std::optional<std::string> insurance;
  if (!identity.at("insurance_number").is_null()) {
    insurance = identity.at("insurance_number").get<std::string>();
  }
  return PatientBlindIndex(key, identity.at("name").get<std::string>(),
                           identity.at("birth_date").get<std::string>(), insurance);
}

}  // namespace

RotationReport RotateKeys(db::PgConnection& owner, KeyFolder& keys, const RotationOptions& options,
                          std::ostream& progress) {
  RotationReport report;
  report.kek = keys.RotationTarget();
  report.resumed = !report.kek.empty();
  if (!report.resumed) {
    report.kek = keys.CreateKek();
    keys.SetRotationTarget(report.kek);
  }
  if (keys.CurrentId() != report.kek) keys.SetCurrent(report.kek);
  progress << "rotate-key: " << (report.resumed ? "resuming rotation to" : "rotating to") << " kek-"
           << report.kek << ".key" << std::endl;

  // A running server re-reads `current` within a second; after this pause
  // it wraps every new data key under the new KEK.
  std::this_thread::sleep_for(std::chrono::milliseconds(options.settle_ms));

  const int batch = options.batch > 0 ? options.batch : 100;
  std::set<std::string> in_use;
  // A data key wrapped just before the server saw the new KEK may commit
  // after a pass went by: passes repeat until no older KEK is in use.
  for (int pass = 0; pass < 5; ++pass) {
    for (const TableStatements& t : kTables) {
      for (;;) {
        db::Transaction tx(owner);
        db::PgResult rows = owner.Run(t.pending, {report.kek, std::to_string(batch)});
        if (rows.rows() == 0) break;
        for (int i = 0; i < rows.rows(); ++i) {
          int64_t id = rows.Int(i, 0);
          std::string place = Place(DataKeyTable(t.tier), id, "wrapped");
          std::string data_key =
              keys.Unwrap({rows.Text(i, 1), FromByteaHex(rows.Text(i, 2))}, place);
          WrappedKey wrapped = keys.Wrap(data_key, place);
          if (wrapped.kek_id != report.kek) {
            throw std::runtime_error("the key folder's current KEK changed during the rotation");
          }
          owner.Run(t.rewrap, {std::to_string(id), wrapped.kek_id, ToByteaHex(wrapped.bytes)});
        }
        tx.Commit();
        report.rewrapped += rows.rows();
        progress << "rotate-key: " << DataKeyTable(t.tier) << ": " << report.rewrapped
                 << " data keys re-wrapped" << std::endl;
        if (options.throttle_ms > 0) {
          std::this_thread::sleep_for(std::chrono::milliseconds(options.throttle_ms));
        }
      }
    }

    in_use.clear();
    for (const TableStatements& t : kTables) {
      db::PgResult r = owner.Run(t.in_use);
      for (int i = 0; i < r.rows(); ++i) in_use.insert(r.Text(i, 0));
    }
    in_use.erase(report.kek);
    if (in_use.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(options.settle_ms));
  }
  if (!in_use.empty()) {
    throw std::runtime_error(
        "data keys are still being wrapped under an older KEK; run rotate-key "
        "again (it resumes)");
  }

  // Which KEK files no data key needs any more (the operator archives or
  // destroys them; they are not deleted here).
  for (const auto& entry : std::filesystem::directory_iterator(keys.folder())) {
    std::string name = entry.path().filename().string();
    if (name.rfind("kek-", 0) != 0 || name.size() < 9 || name.substr(name.size() - 4) != ".key") {
      continue;
    }
    std::string id = name.substr(4, name.size() - 8);
    if (id != report.kek) report.unused.push_back(id);
  }
  keys.SetRotationTarget("");
  return report;
}

IndexRotationReport RotateIndexKey(db::PgConnection& owner, KeyFolder& keys,
                                   const RotationOptions& options, std::ostream& progress) {
  IndexRotationReport report;
  report.index_key = keys.IndexRotationTarget();
  report.resumed = !report.index_key.empty();
  if (!report.resumed) {
    report.index_key = keys.CreateIndexKey();
    keys.SetIndexRotationTarget(report.index_key);
  }
  if (keys.CurrentBlindIndexKey().id != report.index_key) keys.SetCurrentIndexKey(report.index_key);
  const std::string key = keys.CurrentBlindIndexKey().key;
  progress << "rotate-index-key: " << (report.resumed ? "resuming rotation to" : "rotating to")
           << " " << keys.IndexKeyFile(report.index_key) << std::endl;

  // A running server re-reads `index-current` within a second; after this
  // pause it indexes every new patient under the new key.
  std::this_thread::sleep_for(std::chrono::milliseconds(options.settle_ms));

  RecordKeys record_keys(keys);
  const int batch = options.batch > 0 ? options.batch : 100;
  std::map<int64_t, std::string> unreadable;  // patient id → why, left under their key
  std::map<std::string, int64_t> in_use;      // older index key → rows
  // A patient indexed just before the server saw the new key may commit
  // after a pass went by: passes repeat until no row is under an older key.
  for (int pass = 0; pass < 5; ++pass) {
    int64_t after = 0;
    for (;;) {
      db::PgResult ids = owner.Run(
          kIndexPending, {report.index_key, std::to_string(after), std::to_string(batch)});
      if (ids.rows() == 0) break;
      for (int i = 0; i < ids.rows(); ++i) {
        int64_t id = ids.Int(i, 0);
        after = id;
        if (unreadable.count(id) > 0) continue;
        db::Transaction tx(owner);
        db::PgResult row = owner.Run(kIndexRow, {std::to_string(id), report.index_key});
        if (row.rows() == 0) continue;  // re-indexed meanwhile
        std::string value;
        try {
          value = IndexOfRow(owner, record_keys, id, row, key);
        } catch (const DecryptionError& e) {
          unreadable[id] = e.what();
        } catch (const nlohmann::json::exception& e) {
          unreadable[id] = std::string("the identity is not a patient's: ") + e.what();
        }
        if (value.empty()) {
          progress << "rotate-index-key: patient " << id << " (" << kPatientsTable
                   << "): 本人情報を復号できません / its identity does not decrypt ("
                   << unreadable[id] << "); left under index key '" << row.Text(0, 2) << "'"
                   << std::endl;
          continue;
        }
        owner.Run(kIndexUpdate, {std::to_string(id), value, report.index_key});
        tx.Commit();
        ++report.reindexed;
      }
      progress << "rotate-index-key: " << kPatientsTable << ": " << report.reindexed
               << " patients re-indexed" << std::endl;
      if (options.throttle_ms > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(options.throttle_ms));
      }
    }

    in_use.clear();
    int64_t left = 0;
    db::PgResult r = owner.Run(kIndexInUse);
    for (int i = 0; i < r.rows(); ++i) {
      if (r.Text(i, 0) == report.index_key) continue;
      in_use[r.Text(i, 0)] = r.Int(i, 1);
      left += r.Int(i, 1);
    }
    if (left <= static_cast<int64_t>(unreadable.size())) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(options.settle_ms));
  }
  if (!unreadable.empty()) {
    std::string ids;
    for (const auto& entry : unreadable)
      ids += (ids.empty() ? "" : ", ") + std::to_string(entry.first);
    throw std::runtime_error(
        std::to_string(unreadable.size()) +
        " 人の患者の索引を作り直せませんでした / patient rows could not be re-indexed (their "
        "identity does not decrypt: " +
        ids +
        "); they stay under their old index key, which is still needed. Restore those rows "
        "(or their data keys) and run rotate-index-key again (it resumes)");
  }
  if (!in_use.empty()) {
    throw std::runtime_error(
        "patients are still being indexed under an older index key; run rotate-index-key "
        "again (it resumes)");
  }

  // Which index key files no row needs any more (the operator archives or
  // destroys them; they are not deleted here).
  for (const BlindIndexKey& k : keys.BlindIndexKeys()) {
    if (k.id != report.index_key) report.unused.push_back(k.id);
  }
  keys.SetIndexRotationTarget("");
  return report;
}

int64_t ReportBlindIndexKeys(db::PgConnection& owner, KeyFolder& keys, std::ostream& log) {
  std::vector<BlindIndexKey> available = keys.BlindIndexKeys();
  std::set<std::string> present;
  std::string ids;
  for (const BlindIndexKey& k : available) {
    present.insert(k.id);
    ids += (ids.empty() ? "'" : ", '") + k.id + "'";
  }
  log << "kijun-server: blind index: new patients under index key '" << available.front().id
      << "'; look-ups match " << ids << std::endl;
  if (!keys.IndexRotationTarget().empty()) {
    log << "kijun-server: an index key rotation to '" << keys.IndexRotationTarget()
        << "' is unfinished; run kijun-admin rotate-index-key to finish it" << std::endl;
  }
  int64_t lost = 0;
  db::PgResult r = owner.Run(kIndexInUse);
  for (int i = 0; i < r.rows(); ++i) {
    if (present.count(r.Text(i, 0)) > 0) continue;
    lost += r.Int(i, 1);
    log << "kijun-server: WARNING: " << r.Int(i, 1) << " patients are indexed under index key '"
        << r.Text(i, 0) << "', which is not in the key folder (" << keys.IndexKeyFile(r.Text(i, 0))
        << "): carrying forward does not find their earlier forms. Put the key back and run "
           "kijun-admin rotate-index-key"
        << std::endl;
  }
  return lost;
}

}  // namespace kijun::server
