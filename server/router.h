#pragma once

// Routes API requests by method and path pattern ("/forms/{id}/confirm") to
// handlers. An unknown path is a 404, a known path with another method a
// 405; both in the API's JSON error form.

#include <functional>
#include <string>
#include <vector>

#include "server/api.h"

namespace kijun::server {

using Handler = std::function<ApiResponse(ApiRequest&)>;

class Router {
 public:
  void Add(const std::string& method, const std::string& pattern, Handler handler);

  // Fills request.params from the matched pattern and runs its handler.
  // Throws ApiError for 404 / 405.
  ApiResponse Dispatch(ApiRequest& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // "{name}" matches any one segment
    Handler handler;
  };
  std::vector<Route> routes_;
};

// "/a/b/" → {"a", "b"}.
std::vector<std::string> SplitPath(const std::string& path);

}  // namespace kijun::server
