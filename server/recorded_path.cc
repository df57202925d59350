#include "server/recorded_path.h"

#include "dsl/sha256.h"

namespace kijun::server {

std::string RecordedPath(const std::string& path) {
  const std::string prefix = "/applications/";
  if (path.rfind(prefix, 0) != 0 || path.size() == prefix.size()) return path;
  size_t end = path.find('/', prefix.size());
  std::string key =
      path.substr(prefix.size(), end == std::string::npos ? end : end - prefix.size());
  std::string rest = end == std::string::npos ? "" : path.substr(end);
  return prefix + "key:" + dsl::Sha256Hex(key).substr(0, 16) + rest;
}

}  // namespace kijun::server
