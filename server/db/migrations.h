#pragma once

// Versioned SQL migrations (server/migrations/NNN_name.sql, compiled into
// the server), applied at start by the database owner: each not yet applied
// runs in its own transaction and is recorded in
// kijun_meta.schema_migrations. An advisory lock keeps two servers starting
// at once from applying the same migration twice.

#include <string>
#include <vector>

#include "server/db/pg.h"

namespace kijun::server::db {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

const std::vector<Migration>& AllMigrations();

// Applies what is missing; returns the names applied now.
std::vector<std::string> ApplyMigrations(PgConnection& owner);

}  // namespace kijun::server::db
