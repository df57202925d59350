#pragma once

// An institution administrator manages the institution's users: adds
// physicians (with their designation number) and clerks, each given a one-
// time initial password and, for physicians, a TOTP secret to enrol in an
// authenticator app (shown once; stored sealed, sealed_totp_secret.h);
// lists them; unlocks a locked account. Only within the administrator's own
// institution.

#include "server/auth_service.h"
#include "server/record_keys.h"
#include "server/router.h"
#include "server/tiers.h"

namespace kijun::server {

class UserAdminService {
 public:
  UserAdminService(Tiers& tiers, AuthService& auth, RecordKeys& keys)
      : tiers_(tiers), auth_(auth), keys_(keys) {}
  void Register(Router& router);

 private:
  ApiResponse AddUser(const ApiRequest& request);
  ApiResponse ListUsers(const ApiRequest& request);
  ApiResponse Unlock(const ApiRequest& request);

  Tiers& tiers_;
  AuthService& auth_;
  RecordKeys& keys_;
};

}  // namespace kijun::server
