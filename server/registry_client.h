#pragma once

// A terminal's HTTPS client of the registry, for operator tools: mutual TLS
// with the terminal's certificate (verified against the registry CA),
// sign-in with ID + password (+ TOTP), then JSON requests with the session.

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPSClientSession.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace kijun::server {

struct RegistryEndpoint {
  std::string host = "localhost";
  int port = 8443;
  std::string ca;           // the registry CA certificate (PEM)
  std::string certificate;  // this terminal's certificate (PEM)
  std::string key;          // this terminal's private key (PEM)
};

// "https://host:port" → endpoint host and port; false when malformed.
bool ParseRegistryUrl(const std::string& url, RegistryEndpoint& endpoint);

struct RegistryReply {
  int status = 0;
  nlohmann::json body;  // null when the reply was not JSON
};

class RegistryClient {
 public:
  // Throws std::runtime_error naming the file when a certificate or key
  // cannot be read.
  explicit RegistryClient(const RegistryEndpoint& endpoint);

  // Signs in; throws std::runtime_error with the registry's message on
  // refusal.
  void Login(const std::string& login, const std::string& password, const std::string& totp);

  // One request with the session (if any). Throws std::runtime_error when
  // the registry cannot be reached.
  RegistryReply Request(const std::string& method, const std::string& path,
                        const std::string& body = "");

 private:
  Poco::Net::Context::Ptr context_;
  std::unique_ptr<Poco::Net::HTTPSClientSession> session_;
  std::string token_;
};

// The "ja / en" message of an error reply, or the status when it has none.
std::string ErrorMessage(const RegistryReply& reply);

}  // namespace kijun::server
