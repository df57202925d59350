#pragma once

// The registry operator's rule deployment (運用者): list the disease versions
// serving, deploy a rule bundle (signed by the rule authority's key; in
// production unsigned bundles are refused), and roll back to the rules
// before the last publish. Every deploy and rollback is logged.

#include <mutex>
#include <string>
#include <vector>

#include "plugins/bundle_deploy.h"
#include "plugins/disease_registry.h"
#include "server/auth_service.h"
#include "server/router.h"

namespace kijun::server {

class RulesAdminService {
 public:
  RulesAdminService(plugins::DiseaseRegistry& registry, AuthService& auth,
                    plugins::DeployOptions options)
      : registry_(registry), auth_(auth), options_(std::move(options)) {}
  void Register(Router& router);

  // The bundle deployed last survives a restart: it is kept as
  // `<staging>/serving.bundle` and deployed again (signature checked again)
  // at start, on top of the rules folder. False, with the reason, when it
  // is there but refused now (e.g. its key is no longer trusted); the rules
  // folder then keeps serving.
  bool RestoreServingBundle(std::string& error);

 private:
  ApiResponse Versions(const ApiRequest& request);
  ApiResponse Deploy(const ApiRequest& request);
  ApiResponse Rollback(const ApiRequest& request);

  plugins::DiseaseRegistry& registry_;
  AuthService& auth_;
  plugins::DeployOptions options_;
  std::mutex mutex_;
  // Bundle files deployed since start, oldest first; the last is serving
  // unless a rollback went past it.
  std::vector<std::string> deployed_;
  void KeepServingBundle();
};

}  // namespace kijun::server
