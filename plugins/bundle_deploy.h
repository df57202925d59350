#pragma once

// Deploying a rule bundle into a running registry: the deploy API the
// registry server exposes to operators (POST /rules/bundles) and tools call.
// verify the signature (required in production) → read and validate the
// bundle → extract it to a staging folder → check the manifest's content
// hashes against the extracted files → publish the folder (check, compile,
// run the embedded tests, swap). Any failure leaves the serving rules
// untouched and says why.

#include <string>

#include "plugins/disease_registry.h"

namespace kijun::plugins {

struct DeployOptions {
  // Production: refuse unsigned bundles and bundles not signed by a key in
  // `trusted_keys`. Development: unsigned bundles are accepted, but a bad
  // signature or an unknown key is still refused.
  bool require_signature = true;
  std::string trusted_keys;  // folder of trusted public keys (*.pem)
  std::string staging;       // where bundles are extracted (a folder per bundle)
};

struct DeployReport {
  PublishReport publish;
  std::string refused;    // why the bundle was refused before publishing ("" = it was not)
  std::string signed_by;  // key id, when signed
};

DeployReport DeployBundle(DiseaseRegistry& registry, const std::string& file_text,
                          const DeployOptions& options);

}  // namespace kijun::plugins
