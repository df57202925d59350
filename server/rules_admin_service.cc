#include "server/rules_admin_service.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

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
    j["native"] = v->has_native_code();
    // Superseded versions are compiled on demand and unloaded when idle.
    j["loaded"] = v->loaded();
    list.push_back(j);
  }
  return {{"generation", registry.generation()}, {"versions", list}};
}

std::string ServingBundlePath(const plugins::DeployOptions& options) {
  return (std::filesystem::path(options.staging) / "serving.bundle").string();
}

}  // namespace

void RulesAdminService::KeepServingBundle() {
  namespace fs = std::filesystem;
  std::string path = ServingBundlePath(options_);
  std::error_code ec;
  if (deployed_.empty()) {
    fs::remove(path, ec);
    return;
  }
  fs::create_directories(options_.staging, ec);
  std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << deployed_.back();
  }
  fs::rename(temporary, path, ec);
  if (ec) {
    std::cerr << "kijun-server: cannot keep the serving bundle in " << path << ": " << ec.message()
              << '\n';
  }
}

bool RulesAdminService::RestoreServingBundle(std::string& error) {
  std::ifstream in(ServingBundlePath(options_), std::ios::binary);
  if (!in) return true;  // nothing deployed yet
  std::ostringstream text;
  text << in.rdbuf();
  std::lock_guard<std::mutex> lock(mutex_);
  plugins::DeployReport report = plugins::DeployBundle(registry_, text.str(), options_);
  if (!report.refused.empty()) {
    error = report.refused + "\n" + report.publish.problems;
    return false;
  }
  deployed_.push_back(text.str());
  std::cout << "kijun-server: serving the bundle deployed last (" << report.publish.versions
            << " versions"
            << (report.signed_by.empty() ? ", unsigned" : ", signed by " + report.signed_by) << ")"
            << std::endl;
  return true;
}

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
  std::lock_guard<std::mutex> lock(mutex_);
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
  deployed_.push_back(request.body);
  KeepServingBundle();
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
  std::lock_guard<std::mutex> lock(mutex_);
  if (!registry_.Rollback(error)) throw ApiError(409, "nothing_to_roll_back", error, error);
  if (!deployed_.empty()) {
    deployed_.pop_back();
    KeepServingBundle();
  }
  std::cout << "kijun-server: rules rolled back by " << user.login << " (generation "
            << registry_.generation() << ")" << std::endl;
  return {200, VersionsJson(registry_), "", ""};
}

}  // namespace kijun::server
