#pragma once

// The registry's databases: the registry schema (accounts and sessions) and
// the three tiers of the ministry paper — institution (指定医-医療機関DB),
// municipality (自治体DB) and national (国DB) — each reached through its own
// pool and its own database role, so each can live on its own server.

#include <string>

#include "server/db/pg_pool.h"

namespace kijun::server {

struct TierConnections {
  std::string registry;
  std::string institution;
  std::string municipality;
  std::string national;

  // All four on one cluster: `base` (a libpq connection string without a
  // user) with each tier's role, kijun_app_<tier>.
  static TierConnections OnOneCluster(const std::string& base);
};

struct Tiers {
  Tiers(const TierConnections& c, int pool_size)
      : registry(c.registry, pool_size),
        institution(c.institution, pool_size),
        municipality(c.municipality, pool_size),
        national(c.national, pool_size) {}

  db::PgPool registry;
  db::PgPool institution;
  db::PgPool municipality;
  db::PgPool national;
};

}  // namespace kijun::server
