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

// Called for every request handled, before its answer is sent (the audit
// trail). It must not throw.
using AnsweredHook = std::function<void(const ApiRequest& request, int status)>;

class HttpsServer {
 public:
  HttpsServer(const ServerConfig& config, const Router& router, AnsweredHook answered = {});
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
