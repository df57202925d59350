#pragma once

// Rule bundles: one revision of a rules folder (every `.kijun` file, as
// text, with a manifest of the diseases it defines and their content
// hashes) as one JSON file that an operator deploys.
//
//   {"format": "kijun-bundle/1", "language": "kijun-lang/1",
//    "created": "2024-04-01T09:00:00Z",
//    "manifest": [{"disease": "指定難病/6", "name": "パーキンソン病",
//                  "file": "nanbyo/006_parkinson.kijun", "revision": 2403,
//                  "effective": "2024-04-01", "content_hash": "sha256:…"}, …],
//    "files": {"nanbyo/006_parkinson.kijun": "<text>", …}}
//
// Errors are "日本語 / English" and say what is wrong and where.

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace kijun::plugins {

inline constexpr const char* kBundleFormat = "kijun-bundle/1";

// One disease file of a bundle (modules are not listed).
struct ManifestEntry {
  std::string disease;  // "指定難病/6"
  std::string name;     // "パーキンソン病"
  std::string file;     // "nanbyo/006_parkinson.kijun", a key of RuleBundle::files
  std::optional<int64_t> revision;
  std::optional<std::string> effective;  // "YYYY-MM-DD"
  std::string content_hash;              // "sha256:<64 hex>", the compiled program's hash
};

struct RuleBundle {
  std::string format, language, created;
  std::vector<ManifestEntry> manifest;
  std::map<std::string, std::string> files;  // relative path with '/' -> file text
};

// Compiles every `.kijun` file under `folder` and makes the bundle. False
// with the rendered diagnostics in `error` when any file has errors (a
// broken revision never becomes a bundle), or when a file imports a file
// outside `folder`.
bool BuildBundle(const std::string& folder, nlohmann::json& bundle, std::string& error);

// Parses and validates a bundle's JSON text: format, language version,
// manifest fields, file paths (relative, '/'-separated, no "..", no
// backslashes, `.kijun` only) and that every manifest file is present.
bool ReadBundle(const std::string& text, RuleBundle& out, std::string& error);

// Whether `path` may name a file of a bundle; `why` says why not.
bool IsValidBundlePath(const std::string& path, std::string& why);

// Writes the bundle's files under `dir`, creating folders. `dir` must not
// exist or be empty, so that no file of another revision is mixed in.
bool ExtractBundle(const RuleBundle& bundle, const std::string& dir, std::string& error);

// Recompiles the files extracted to `extracted_dir` and checks them against
// the manifest: every file compiles, reads no file outside the bundle, every
// disease file is listed, and each listed file's disease, name, revision,
// effective date and content hash match.
bool VerifyManifest(const RuleBundle& bundle, const std::string& extracted_dir, std::string& error);

}  // namespace kijun::plugins
