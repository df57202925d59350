#pragma once

// What the registry server needs to start: where it listens, its TLS
// material, its database and its rules. Read from command-line options.

#include <string>
#include <vector>

namespace kijun::server {

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8443;
  // TLS: the server's key and certificate, the CA that issues terminal
  // (client) certificates, and that CA's revocation list.
  std::string server_key;
  std::string server_certificate;
  std::string client_ca;
  std::string crl;  // "" = no revocation list
  // libpq connection string of the registry database, without a user: the
  // owner (migrations) and each tier's role are added to it. A tier given
  // its own connection string (--db-institution …) uses that instead.
  std::string database;
  std::string database_owner = "kijun_owner";
  std::string db_registry, db_institution, db_municipality, db_national;
  int database_connections = 4;
  std::string rules = "diseases";
  std::string jit_cache;  // "" = no object cache
  // Native function plugins (plugins/kijun_plugin.h) loaded before the rules.
  std::vector<std::string> plugins;
  // The key folder (server/key_folder.h): key-encryption keys and the
  // blind-index key, outside the database. Created on first start in
  // development; in production it must exist.
  std::string keys = "var/keys";
  // How often every confirmed form's proof of authorship is checked; 0 = never.
  int authorship_sweep_minutes = 60;
  int threads = 8;
  size_t max_body_bytes = 1 << 20;
  size_t max_bundle_bytes = 32 << 20;  // POST /rules/bundles
  // Rule updates: in development the rules folder is watched and unsigned
  // bundles are accepted; in production (--production) nothing is watched
  // and bundles must be signed by a key in `trusted_keys`.
  bool production = false;
  std::string trusted_keys;
  std::string staging = "var/rules-staging";
  int session_minutes = 30;
  // Rate limits (token buckets with a burst of twice the rate); 0 = none.
  double terminal_rate_limit = 200;
  double session_rate_limit = 100;
  // Misuse: more patients' records than this per user and hour locks the
  // account.
  int patients_per_hour = 200;

  // The PKI folder made by scripts/dev_pki.sh: server.key, server.crt,
  // ca.crt, crl.pem.
  void UsePkiFolder(const std::string& folder);
};

// Parses `--port N --pki DIR --db CONNINFO --rules DIR ...`. On a bad
// option, returns false with the reason in `error`.
bool ParseServerConfig(const std::vector<std::string>& args, ServerConfig& config,
                       std::string& error);

}  // namespace kijun::server
