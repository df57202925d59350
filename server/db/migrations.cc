#include "server/db/migrations.h"

#include <algorithm>

namespace kijun::server::db {

const std::vector<Migration>& AllMigrations() {
  static const std::vector<Migration> migrations = {
#include "migrations.inc"
  };
  return migrations;
}

namespace {

constexpr Statement kApplied = {"migrations_applied",
                                "SELECT version FROM kijun_meta.schema_migrations"};
constexpr Statement kRecord = {
    "migrations_record",
    "INSERT INTO kijun_meta.schema_migrations (version, name) VALUES ($1, $2)"};

}  // namespace

std::vector<std::string> ApplyMigrations(PgConnection& owner) {
  owner.Script(
      "CREATE SCHEMA IF NOT EXISTS kijun_meta;"
      "CREATE TABLE IF NOT EXISTS kijun_meta.schema_migrations ("
      " version integer PRIMARY KEY, name text NOT NULL,"
      " applied_at timestamptz NOT NULL DEFAULT now())");
  owner.Script("SELECT pg_advisory_lock(4242001)");
  std::vector<std::string> applied_now;
  try {
    PgResult done = owner.Run(kApplied);
    std::vector<int64_t> versions;
    for (int r = 0; r < done.rows(); ++r) versions.push_back(done.Int(r, 0));
    for (const Migration& m : AllMigrations()) {
      if (std::find(versions.begin(), versions.end(), m.version) != versions.end()) continue;
      Transaction tx(owner);
      owner.Script(m.sql);
      owner.Run(kRecord, {std::to_string(m.version), std::string(m.name)});
      tx.Commit();
      applied_now.push_back(m.name);
    }
  } catch (...) {
    owner.Script("SELECT pg_advisory_unlock(4242001)");
    throw;
  }
  owner.Script("SELECT pg_advisory_unlock(4242001)");
  return applied_now;
}

}  // namespace kijun::server::db
