#include "server/rules_admin_service.h"

#include <iostream>

#include "dsl/calendar.h"

namespace kijun::server {

namespace {

nlohmann::ordered_json VersionsJson(const plugins::DiseaseRegistry& registry) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  auto library = registry.Current();
  for (const auto& v : library->versions()) {
    nlohmann::ordered_json j;
    j["disease"] = v->rules.DiseaseKey();
    j["name"] = v->rules.name_ja;
    j["effective"] =
        v->rules.effective ? nlohmann::ordered_json(dsl::FormatDate(*v->rules.effective)) : nullptr;
    j["content_hash"] = v->rules.content_hash;
    j["native"] = v->native != nullptr;
    list.push_back(j);
  }
  return {{"generation", registry.generation()}, {"versions", list}};
}

}  // namespace

void RulesAdminService::Register(Router& router) {
  router.Add("GET", "/rules", [this](ApiRequest& r) { return Versions(r); });
  router.Add("POST", "/rules/bundles", [this](ApiRequest& r) { return Deploy(r); });
  router.Add("POST", "/rules/rollback", [this](ApiRequest& r) { return Rollback(r); });
}

ApiResponse RulesAdminService::Versions(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kOperator});
  return {200, VersionsJson(registry_), "", ""};
}

ApiResponse RulesAdminService::Deploy(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kOperator});
  plugins::DeployReport report = plugins::DeployBundle(registry_, request.body, options_);
  if (!report.refused.empty()) {
    std::cout << "kijun-server: bundle refused (" << user.login << "): " << report.refused << "\n"
              << report.publish.problems << std::flush;
    nlohmann::ordered_json error =
        ApiError(
            422, "bundle_refused",
            "バンドルは公開されませんでした。現在の規則が引き続き使われます: " + report.refused,
            "the bundle was not published; the current rules keep serving: " + report.refused)
            .ToJson();
    error["problems"] = report.publish.problems;
    error["generation"] = registry_.generation();
    return {422, error, "", ""};
  }
  std::cout << "kijun-server: bundle deployed by " << user.login << " (generation "
            << report.publish.generation << ", " << report.publish.versions << " versions, "
            << int(report.publish.milliseconds) << " ms"
            << (report.signed_by.empty() ? ", unsigned" : ", signed by " + report.signed_by) << ")"
            << std::endl;
  nlohmann::ordered_json out = VersionsJson(registry_);
  out["signed_by"] = report.signed_by.empty() ? nlohmann::ordered_json(nullptr)
                                              : nlohmann::ordered_json(report.signed_by);
  out["milliseconds"] = report.publish.milliseconds;
  return {200, out, "", ""};
}

ApiResponse RulesAdminService::Rollback(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kOperator});
  std::string error;
  if (!registry_.Rollback(error)) throw ApiError(409, "nothing_to_roll_back", error, error);
  std::cout << "kijun-server: rules rolled back by " << user.login << " (generation "
            << registry_.generation() << ")" << std::endl;
  return {200, VersionsJson(registry_), "", ""};
}

}  // namespace kijun::server
