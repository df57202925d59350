#include "server/user_admin_service.h"

#include <openssl/rand.h>

#include <regex>

#include "server/password_hash.h"
#include "server/sealed_totp_secret.h"
#include "server/totp.h"

namespace kijun::server {

namespace {

// The row's id comes first: a sealed secret is bound to it.
constexpr db::Statement kNextUserId = {"admin_next_user_id",
                                       "SELECT nextval('registry.users_id_seq')"};
constexpr db::Statement kAddUser = {
    "admin_add_user",
    "INSERT INTO registry.users (id, login, display_name, role, institution_id,"
    " designation_number, password_hash, data_key_id, totp_secret_sealed)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::bytea)"};
constexpr db::Statement kListUsers = {
    "admin_list_users",
    "SELECT login, display_name, role, coalesce(designation_number, ''), locked,"
    " failed_logins FROM registry.users WHERE institution_id = $1 ORDER BY login"};
constexpr db::Statement kUnlock = {"admin_unlock",
                                   "UPDATE registry.users SET locked = false, failed_logins = 0"
                                   " WHERE login = $1 AND institution_id = $2"};

std::string InitialPassword() {
  static const char* kAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  std::string out;
  for (unsigned char b : bytes) out += kAlphabet[b % 56];
  return out;
}

}  // namespace

void UserAdminService::Register(Router& router) {
  router.Add("POST", "/users", [this](ApiRequest& r) { return AddUser(r); });
  router.Add("GET", "/users", [this](ApiRequest& r) { return ListUsers(r); });
  router.Add("POST", "/users/{login}/unlock", [this](ApiRequest& r) { return Unlock(r); });
}

ApiResponse UserAdminService::AddUser(const ApiRequest& request) {
  User admin = auth_.Authenticate(request);
  AuthService::Require(admin, {Role::kInstitutionAdmin});
  nlohmann::json body = ParseJsonObject(request.body);
  std::string login = RequireString(body, "login", 64);
  static const std::regex kLogin("[a-z0-9][a-z0-9._-]{2,63}");
  if (!std::regex_match(login, kLogin)) {
    throw ApiError(400, "bad_login", "「login」は英小文字・数字・. _ - の 3〜64 文字にしてください",
                   "\"login\" must be 3-64 of a-z, 0-9, '.', '_', '-'", "/login");
  }
  std::string name = RequireString(body, "display_name", 100);
  std::string role = RequireString(body, "role", 20);
  if (role != "physician" && role != "clerk") {
    throw ApiError(400, "bad_value", "「role」は physician (指定医) か clerk (医療事務) です",
                   "\"role\" must be physician or clerk", "/role");
  }
  db::Param designation;
  if (role == "physician") designation = RequireString(body, "designation_number", 20);
  std::string password = InitialPassword();
  db::Param secret;
  if (role == "physician") secret = NewTotpSecret();
  std::string password_hash = HashPassword(password);
  tiers_.registry.With([&](db::PgConnection& c) {
    try {
      db::Transaction tx(c);
      int64_t id = c.Run(kNextUserId).Int(0, 0);
      db::Param data_key, sealed;
      if (secret) {
        SealedTotpSecret s = SealTotpSecret(c, keys_, id, *secret);
        data_key = std::to_string(s.data_key_id);
        sealed = std::move(s.sealed);
      }
      c.Run(kAddUser, {std::to_string(id), login, name, role, std::to_string(admin.institution_id),
                       designation, password_hash, data_key, sealed});
      tx.Commit();
    } catch (const db::PgError& e) {
      if (!e.UniqueViolation()) throw;
      throw ApiError(409, "login_taken", "「" + login + "」はすでに使われています",
                     "login '" + login + "' is taken", "/login");
    }
  });
  nlohmann::ordered_json out;
  out["login"] = login;
  out["role"] = role;
  out["initial_password"] = password;
  if (secret) {
    out["totp_secret"] = *secret;
    out["totp_uri"] = TotpUri(*secret, login);
  }
  return {201, out, "", ""};
}

ApiResponse UserAdminService::ListUsers(const ApiRequest& request) {
  User admin = auth_.Authenticate(request);
  AuthService::Require(admin, {Role::kInstitutionAdmin});
  return tiers_.registry.With([&](db::PgConnection& c) -> ApiResponse {
    db::PgResult r = c.Run(kListUsers, {std::to_string(admin.institution_id)});
    nlohmann::ordered_json users = nlohmann::ordered_json::array();
    for (int i = 0; i < r.rows(); ++i) {
      users.push_back({{"login", r.Text(i, 0)},
                       {"display_name", r.Text(i, 1)},
                       {"role", r.Text(i, 2)},
                       {"designation_number", r.Text(i, 3)},
                       {"locked", r.Bool(i, 4)},
                       {"failed_logins", r.Int(i, 5)}});
    }
    return {200, {{"users", users}}, "", ""};
  });
}

ApiResponse UserAdminService::Unlock(const ApiRequest& request) {
  User admin = auth_.Authenticate(request);
  AuthService::Require(admin, {Role::kInstitutionAdmin});
  const std::string& login = request.params.at("login");
  tiers_.registry.With([&](db::PgConnection& c) {
    if (c.Run(kUnlock, {login, std::to_string(admin.institution_id)}).Affected() == 0) {
      throw ApiError(404, "not_found", "この医療機関に「" + login + "」はいません",
                     "no user '" + login + "' at this institution");
    }
  });
  return {200, {{"login", login}, {"locked", false}}, "", ""};
}

}  // namespace kijun::server
