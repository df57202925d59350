#include "server/auth_service.h"

#include <openssl/rand.h>

#include <ctime>

#include "dsl/sha256.h"
#include "server/field_cipher.h"
#include "server/password_hash.h"
#include "server/request_log.h"
#include "server/sealed_totp_secret.h"
#include "server/totp.h"

namespace kijun::server {

namespace {

constexpr int kMaxFailedLogins = 10;
constexpr auto kCacheFor = std::chrono::seconds(20);

constexpr db::Statement kFindUser = {
    "auth_find_user",
    "SELECT u.id, u.login, u.display_name, u.role, coalesce(u.institution_id, 0),"
    " coalesce(i.code, ''), coalesce(m.code, ''), coalesce(u.designation_number, ''),"
    " u.password_hash, u.totp_secret_sealed, u.totp_last_step, u.locked, u.data_key_id,"
    " u.totp_secret IS NOT NULL"
    " FROM registry.users u"
    " LEFT JOIN registry.institutions i ON i.id = u.institution_id"
    " LEFT JOIN registry.municipalities m ON m.id = u.municipality_id"
    " WHERE u.login = $1"};
constexpr db::Statement kFailed = {"auth_failed",
                                   "UPDATE registry.users SET failed_logins = failed_logins + 1,"
                                   " locked = locked OR failed_logins + 1 >= $2 WHERE id = $1"};
constexpr db::Statement kSucceeded = {
    "auth_succeeded",
    "UPDATE registry.users SET failed_logins = 0, totp_last_step = $2 WHERE id = $1"};
constexpr db::Statement kOpenSession = {
    "auth_open_session",
    "INSERT INTO registry.sessions (token_hash, user_id, terminal_serial, expires_at)"
    " VALUES ($1, $2, $3, now() + make_interval(mins => $4::int))"
    " RETURNING to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"};
constexpr db::Statement kFindSession = {
    "auth_find_session",
    "SELECT u.id, u.login, u.display_name, u.role, coalesce(u.institution_id, 0),"
    " coalesce(i.code, ''), coalesce(m.code, ''), coalesce(u.designation_number, ''),"
    " s.terminal_serial, u.locked"
    " FROM registry.sessions s JOIN registry.users u ON u.id = s.user_id"
    " LEFT JOIN registry.institutions i ON i.id = u.institution_id"
    " LEFT JOIN registry.municipalities m ON m.id = u.municipality_id"
    " WHERE s.token_hash = $1 AND s.expires_at > now()"};
constexpr db::Statement kCloseSession = {"auth_close_session",
                                         "DELETE FROM registry.sessions WHERE token_hash = $1"};

User UserFromRow(const db::PgResult& r) {
  User u;
  u.id = r.Int(0, 0);
  u.login = r.Text(0, 1);
  u.display_name = r.Text(0, 2);
  ParseRole(r.Text(0, 3), u.role);
  u.institution_id = r.Int(0, 4);
  u.institution_code = r.Text(0, 5);
  u.municipality_code = r.Text(0, 6);
  u.designation_number = r.Text(0, 7);
  return u;
}

// The roles that touch named patients' data, manage accounts, or deploy the
// rules everyone is judged by.
bool NeedsSecondFactor(Role role) {
  return role == Role::kPhysician || role == Role::kInstitutionAdmin ||
         role == Role::kMunicipalityReviewer || role == Role::kOperator;
}

std::string NewToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  static const char* kHex = "0123456789abcdef";
  std::string token;
  for (unsigned char b : bytes) {
    token += kHex[b >> 4];
    token += kHex[b & 15];
  }
  return token;
}

ApiError Unauthorized() {
  return ApiError(401, "unauthorized",
                  "ログインが必要です (セッションがないか、期限切れか、別の端末のものです)",
                  "sign-in required (no session, expired, or opened on another terminal)");
}

nlohmann::ordered_json UserToJson(const User& u) {
  nlohmann::ordered_json j;
  j["login"] = u.login;
  j["display_name"] = u.display_name;
  j["role"] = RoleName(u.role);
  if (!u.institution_code.empty()) j["institution"] = u.institution_code;
  if (!u.municipality_code.empty()) j["municipality"] = u.municipality_code;
  if (!u.designation_number.empty()) j["designation_number"] = u.designation_number;
  return j;
}

}  // namespace

void AuthService::Register(Router& router) {
  router.Add("POST", "/login", [this](ApiRequest& r) { return Login(r); });
  router.Add("POST", "/logout", [this](ApiRequest& r) { return Logout(r); });
  router.Add("GET", "/me", [this](ApiRequest& r) { return Me(r); });
}

void AuthService::Require(const User& user, std::initializer_list<Role> roles) {
  for (Role role : roles) {
    if (user.role == role) return;
  }
  throw ApiError(403, "forbidden",
                 std::string("この操作は権限がありません (役割: ") + RoleName(user.role) + ")",
                 std::string("not allowed for role ") + RoleName(user.role));
}

ApiResponse AuthService::Login(const ApiRequest& request) {
  nlohmann::json body = ParseJsonObject(request.body);
  std::string login = RequireString(body, "login", 100);
  std::string password = RequireString(body, "password", 200);
  std::string totp;
  if (auto it = body.find("totp"); it != body.end()) {
    if (!it->is_string()) {
      throw ApiError(400, "wrong_type", "「totp」は 6 桁の文字列にしてください",
                     "\"totp\" must be a 6-digit string", "/totp");
    }
    totp = it->get<std::string>();
  }
  if (request.terminal.serial.empty()) throw Unauthorized();
  SetRequestActor(login.size() <= 64 ? login : login.substr(0, 64));
  ApiError refused(401, "login_failed", "ID またはパスワードが違います", "wrong login or password");
  return tiers_.registry.With([&](db::PgConnection& c) -> ApiResponse {
    db::PgResult r = c.Run(kFindUser, {login});
    if (r.rows() == 0) {
      HashPassword(password);  // the same work as for a real account
      throw refused;
    }
    User user = UserFromRow(r);
    if (r.Bool(0, 11)) {
      throw ApiError(403, "account_locked",
                     "アカウントがロックされています。医療機関の管理者に連絡してください",
                     "account locked; ask your administrator");
    }
    if (!VerifyPassword(password, r.Text(0, 8))) {
      c.Run(kFailed, {std::to_string(user.id), std::to_string(kMaxFailedLogins)});
      throw refused;
    }
    int64_t step = r.Int(0, 10);
    if (r.Bool(0, 13)) {
      // Written in the clear behind the server's back (it seals every such
      // secret at start): refused rather than trusted or ignored.
      throw DecryptionError("the TOTP secret of " + TotpSecretPlace(user.id) +
                            " is stored in the clear; restart the server to seal it");
    }
    std::optional<std::string> secret;
    if (!r.IsNull(0, 9)) {
      secret = OpenTotpSecret(c, keys_, user.id, r.Int(0, 12), r.Text(0, 9));
    }
    if (NeedsSecondFactor(user.role) || secret) {
      if (!secret) {
        throw ApiError(403, "second_factor_missing",
                       "二要素認証が未設定です。管理者に設定を依頼してください",
                       "no second factor set up for this account");
      }
      if (totp.empty()) {
        throw ApiError(401, "totp_required", "認証アプリの 6 桁のコードを「totp」に入れてください",
                       "a TOTP code is required in \"totp\"", "/totp");
      }
      if (!VerifyTotp(*secret, totp, std::time(nullptr), &step)) {
        c.Run(kFailed, {std::to_string(user.id), std::to_string(kMaxFailedLogins)});
        throw ApiError(401, "totp_invalid", "認証コードが違うか、使用済みです",
                       "wrong or already used TOTP code", "/totp");
      }
    }
    c.Run(kSucceeded, {std::to_string(user.id), std::to_string(step)});
    std::string token = NewToken();
    db::PgResult s =
        c.Run(kOpenSession, {dsl::Sha256Hex(token), std::to_string(user.id),
                             request.terminal.serial, std::to_string(session_minutes_)});
    nlohmann::ordered_json out;
    out["token"] = token;
    out["expires_at"] = s.Text(0, 0);
    out["user"] = UserToJson(user);
    return {200, out, "", ""};
  });
}

User AuthService::Authenticate(const ApiRequest& request) {
  if (request.bearer.empty() || request.bearer.size() > 128) throw Unauthorized();
  std::string hash = dsl::Sha256Hex(request.bearer);
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = cache_.find(hash);
    if (it != cache_.end()) {
      if (it->second.until > now) {
        if (it->second.terminal != request.terminal.serial) throw Unauthorized();
        SetRequestActor(it->second.user.login);
        return it->second.user;
      }
      cache_.erase(it);
    }
  }
  return tiers_.registry.With([&](db::PgConnection& c) {
    db::PgResult r = c.Run(kFindSession, {hash});
    if (r.rows() == 0 || r.Bool(0, 9) || r.Text(0, 8) != request.terminal.serial) {
      throw Unauthorized();
    }
    User user = UserFromRow(r);
    SetRequestActor(user.login);
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() > 100000) cache_.clear();
    cache_[hash] = {user, request.terminal.serial, now + kCacheFor};
    return user;
  });
}

void AuthService::Forget(const std::string& login) {
  std::lock_guard<std::mutex> lock(cache_mutex_);
  for (auto it = cache_.begin(); it != cache_.end();) {
    it = it->second.user.login == login ? cache_.erase(it) : std::next(it);
  }
}

ApiResponse AuthService::Logout(const ApiRequest& request) {
  Authenticate(request);
  std::string hash = dsl::Sha256Hex(request.bearer);
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    cache_.erase(hash);
  }
  tiers_.registry.With([&](db::PgConnection& c) { c.Run(kCloseSession, {hash}); });
  return {200, {{"status", "signed out"}}, "", ""};
}

ApiResponse AuthService::Me(const ApiRequest& request) {
  return {200, {{"user", UserToJson(Authenticate(request))}}, "", ""};
}

}  // namespace kijun::server
