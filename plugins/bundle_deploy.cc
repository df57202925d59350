#include "plugins/bundle_deploy.h"

#include <filesystem>

#include "dsl/sha256.h"
#include "plugins/bundle_signature.h"
#include "plugins/rule_bundle.h"

namespace kijun::plugins {

DeployReport DeployBundle(DiseaseRegistry& registry, const std::string& file_text,
                          const DeployOptions& options) {
  DeployReport report;
  std::string bundle_text, key_id, error;
  SignatureStatus status =
      VerifyBundle(file_text, options.trusted_keys, bundle_text, key_id, error);
  switch (status) {
    case SignatureStatus::kValid:
      report.signed_by = key_id;
      break;
    case SignatureStatus::kUnsigned:
      if (options.require_signature) {
        report.refused =
            "署名のないバンドルは受け付けません (本番モード) / unsigned bundles are refused in "
            "production";
        return report;
      }
      break;
    default:
      report.refused = error.empty() ? SignatureStatusName(status) : error;
      return report;
  }
  RuleBundle bundle;
  if (!ReadBundle(bundle_text, bundle, error)) {
    report.refused = error;
    return report;
  }
  namespace fs = std::filesystem;
  fs::path dir = fs::path(options.staging) / dsl::Sha256Hex(bundle_text).substr(0, 16);
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (!ExtractBundle(bundle, dir.string(), error) || !VerifyManifest(bundle, dir.string(), error)) {
    report.refused = error;
    fs::remove_all(dir, ec);
    return report;
  }
  report.publish = registry.PublishFolder(dir.string());
  if (!report.publish.published) {
    report.refused = "バンドルの規則を公開できません / the bundle's rules cannot be published";
  }
  return report;
}

}  // namespace kijun::plugins
