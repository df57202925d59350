#include "server/router.h"

namespace kijun::server {

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

void Router::Add(const std::string& method, const std::string& pattern, Handler handler) {
  routes_.push_back({method, SplitPath(pattern), std::move(handler)});
}

ApiResponse Router::Dispatch(ApiRequest& request) const {
  std::vector<std::string> segments = SplitPath(request.path);
  bool path_known = false;
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    bool match = true;
    for (size_t i = 0; i < segments.size() && match; ++i) {
      const std::string& want = route.segments[i];
      if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
        params[want.substr(1, want.size() - 2)] = segments[i];
      } else {
        match = want == segments[i];
      }
    }
    if (!match) continue;
    path_known = true;
    if (route.method != request.method) continue;
    request.params = std::move(params);
    return route.handler(request);
  }
  if (path_known) {
    throw ApiError(405, "method_not_allowed", request.method + " はこの URL では使えません",
                   request.method + " is not allowed on " + request.path);
  }
  throw ApiError(404, "not_found", "「" + request.path + "」はありません",
                 "no such endpoint: " + request.path);
}

}  // namespace kijun::server
