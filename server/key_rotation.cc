#include "server/key_rotation.h"

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

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

}  // namespace kijun::server
