#pragma once

// An institution administrator manages the institution's users: adds
// physicians (with their designation number) and clerks, each given a one-
// time initial password and, for physicians, a TOTP secret to enrol in an
// authenticator app; lists them; unlocks a locked account. Only within the
// administrator's own institution.

#include "server/auth_service.h"
#include "server/router.h"
#include "server/tiers.h"

namespace kijun::server {

class UserAdminService {
 public:
  UserAdminService(Tiers& tiers, AuthService& auth) : tiers_(tiers), auth_(auth) {}
  void Register(Router& router);

 private:
  ApiResponse AddUser(const ApiRequest& request);
  ApiResponse ListUsers(const ApiRequest& request);
  ApiResponse Unlock(const ApiRequest& request);

  Tiers& tiers_;
  AuthService& auth_;
};

}  // namespace kijun::server
