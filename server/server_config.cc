#include "server/server_config.h"

#include <charconv>
#include <cstdlib>

namespace kijun::server {

void ServerConfig::UsePkiFolder(const std::string& folder) {
  server_key = folder + "/server.key";
  server_certificate = folder + "/server.crt";
  client_ca = folder + "/ca.crt";
  crl = folder + "/crl.pem";
}

namespace {

bool ParseInt(const std::string& text, int low, int high, int& out) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < low || value > high) {
    return false;
  }
  out = value;
  return true;
}

}  // namespace

bool ParseServerConfig(const std::vector<std::string>& args, ServerConfig& config,
                       std::string& error) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& name = args[i];
    if (name == "--production") {
      config.production = true;
      continue;
    }
    if (name.rfind("--", 0) != 0 || i + 1 >= args.size()) {
      error = "option '" + name + "' needs a value (--name VALUE)";
      return false;
    }
    const std::string& value = args[++i];
    int number = 0;
    if (name == "--host") {
      config.host = value;
    } else if (name == "--port") {
      if (!ParseInt(value, 1, 65535, number)) {
        error = "--port must be 1..65535, not '" + value + "'";
        return false;
      }
      config.port = number;
    } else if (name == "--pki") {
      config.UsePkiFolder(value);
    } else if (name == "--db") {
      config.database = value;
    } else if (name == "--db-owner") {
      config.database_owner = value;
    } else if (name == "--db-registry") {
      config.db_registry = value;
    } else if (name == "--db-institution") {
      config.db_institution = value;
    } else if (name == "--db-municipality") {
      config.db_municipality = value;
    } else if (name == "--db-national") {
      config.db_national = value;
    } else if (name == "--db-connections") {
      if (!ParseInt(value, 1, 256, number)) {
        error = "--db-connections must be 1..256";
        return false;
      }
      config.database_connections = number;
    } else if (name == "--rate-limit" || name == "--session-rate-limit") {
      char* end = nullptr;
      double rate = std::strtod(value.c_str(), &end);
      if (end == value.c_str() || *end != '\0' || rate < 0) {
        error = "option '" + name + "' needs a number of requests per second (0 = no limit)";
        return false;
      }
      (name == "--rate-limit" ? config.terminal_rate_limit : config.session_rate_limit) = rate;
    } else if (name == "--trusted-keys") {
      config.trusted_keys = value;
    } else if (name == "--staging") {
      config.staging = value;
    } else if (name == "--rules") {
      config.rules = value;
    } else if (name == "--jit-cache") {
      config.jit_cache = value;
    } else if (name == "--plugin") {
      config.plugins.push_back(value);
    } else if (name == "--keys") {
      config.keys = value;
    } else if (name == "--threads") {
      if (!ParseInt(value, 1, 1024, number)) {
        error = "--threads must be 1..1024";
        return false;
      }
      config.threads = number;
    } else if (name == "--patients-per-hour") {
      if (!ParseInt(value, 1, 1000000, number)) {
        error = "--patients-per-hour must be 1..1000000";
        return false;
      }
      config.patients_per_hour = number;
    } else if (name == "--authorship-sweep-minutes") {
      if (!ParseInt(value, 0, 7 * 24 * 60, number)) {
        error = "--authorship-sweep-minutes must be 0..10080 (0 = no sweep)";
        return false;
      }
      config.authorship_sweep_minutes = number;
    } else if (name == "--session-minutes") {
      if (!ParseInt(value, 1, 24 * 60, number)) {
        error = "--session-minutes must be 1..1440";
        return false;
      }
      config.session_minutes = number;
    } else {
      error = "unknown option '" + name + "'";
      return false;
    }
  }
  if (config.server_key.empty()) {
    error = "--pki DIR is required (server.key, server.crt, ca.crt, crl.pem)";
    return false;
  }
  if (config.production && config.trusted_keys.empty()) {
    error = "--production needs --trusted-keys DIR (the rule authority's public keys)";
    return false;
  }
  if (config.database.empty()) {
    error = "--db CONNINFO is required (a libpq connection string without user)";
    return false;
  }
  return true;
}

}  // namespace kijun::server
