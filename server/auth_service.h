#pragma once

// Who is asking: sign-in with ID + password (scrypt) and, for physicians,
// institution administrators and municipality reviewers, a TOTP second
// factor; sessions as random bearer tokens (only their SHA-256 is stored),
// bound to the terminal certificate they were opened from and expiring
// after the configured minutes. Ten failed sign-ins lock the account. TOTP
// secrets are stored sealed (sealed_totp_secret.h) and opened only to check
// a code, after the password matched.

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "server/api.h"
#include "server/record_keys.h"
#include "server/router.h"
#include "server/tiers.h"
#include "server/user.h"

namespace kijun::server {

class AuthService {
 public:
  AuthService(Tiers& tiers, RecordKeys& keys, int session_minutes)
      : tiers_(tiers), keys_(keys), session_minutes_(session_minutes) {}

  void Register(Router& router);

  // The user of the request's session; 401 when there is none, it expired,
  // or it was opened from another terminal.
  User Authenticate(const ApiRequest& request);

  // Drops the remembered sessions of `login`, so a lock takes effect on its
  // next request instead of within the cache period.
  void Forget(const std::string& login);

  // 403 unless the user has one of `roles`.
  static void Require(const User& user, std::initializer_list<Role> roles);

 private:
  ApiResponse Login(const ApiRequest& request);
  ApiResponse Logout(const ApiRequest& request);
  ApiResponse Me(const ApiRequest& request);

  Tiers& tiers_;
  RecordKeys& keys_;
  int session_minutes_;
  // Sessions recently seen, so the instant check does not hit the database
  // on every keystroke: token hash → user and when to look again.
  struct Cached {
    User user;
    std::string terminal;
    std::chrono::steady_clock::time_point until;
  };
  std::mutex cache_mutex_;
  std::map<std::string, Cached> cache_;
};

}  // namespace kijun::server
