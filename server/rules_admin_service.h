#pragma once

// The registry operator's rule deployment (運用者): list the disease versions
// serving, deploy a rule bundle (signed by the rule authority's key; in
// production unsigned bundles are refused), and roll back to the rules
// before the last publish. Every deploy and rollback is logged.

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

 private:
  ApiResponse Versions(const ApiRequest& request);
  ApiResponse Deploy(const ApiRequest& request);
  ApiResponse Rollback(const ApiRequest& request);

  plugins::DiseaseRegistry& registry_;
  AuthService& auth_;
  plugins::DeployOptions options_;
};

}  // namespace kijun::server
