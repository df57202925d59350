#pragma once

// The registry's HTTPS listener: Poco's HTTPServer on a SecureServerSocket
// with the mutual-TLS context, turning each request into an ApiRequest
// (with the terminal's certificate and the session token), routing it, and
// writing the JSON answer. Bodies over the configured limit are refused
// with 413 before they are read in full.

#include <Poco/Net/HTTPServer.h>

#include <functional>
#include <memory>

#include "server/router.h"
#include "server/server_config.h"

namespace kijun::server {

// What the server calls around each request: `admit` before the request is
// routed (rate limits; it throws ApiError to refuse),
// `answered` for every request handled, before its answer is sent (the
// audit trail, the misuse monitor; it must not throw).
struct RequestHooks {
  std::function<void(const ApiRequest& request)> admit;
  std::function<void(const ApiRequest& request, int status)> answered;
};

class HttpsServer {
 public:
  HttpsServer(const ServerConfig& config, const Router& router, RequestHooks hooks = {});
  ~HttpsServer();
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  void Start();
  void Stop();
  // The port listened on (useful when the configuration asked for port 0).
  int port() const;

 private:
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  int port_ = 0;
};

}  // namespace kijun::server
