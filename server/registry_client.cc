#include "server/registry_client.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace kijun::server {

namespace {

void RequireFile(const std::string& path, const char* what) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw std::runtime_error(std::string(what) + "「" + path + "」がありません / " + what + " '" +
                             path + "' not found");
  }
}

}  // namespace

bool ParseRegistryUrl(const std::string& url, RegistryEndpoint& endpoint) {
  const std::string scheme = "https://";
  if (url.rfind(scheme, 0) != 0) return false;
  std::string rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  size_t colon = rest.rfind(':');
  std::string host = colon == std::string::npos ? rest : rest.substr(0, colon);
  if (host.empty() || host.find('/') != std::string::npos) return false;
  int port = 443;
  if (colon != std::string::npos) {
    std::string digits = rest.substr(colon + 1);
    if (digits.empty() || digits.size() > 5 ||
        digits.find_first_not_of("0123456789") != std::string::npos) {
      return false;
    }
    port = std::stoi(digits);
    if (port < 1 || port > 65535) return false;
  }
  endpoint.host = host;
  endpoint.port = port;
  return true;
}

RegistryClient::RegistryClient(const RegistryEndpoint& endpoint) {
  RequireFile(endpoint.ca, "CA 証明書 / CA certificate");
  RequireFile(endpoint.certificate, "端末証明書 / terminal certificate");
  RequireFile(endpoint.key, "端末の秘密鍵 / terminal key");
  Poco::Net::Context::Params params;
  params.privateKeyFile = endpoint.key;
  params.certificateFile = endpoint.certificate;
  params.caLocation = endpoint.ca;
  params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
  params.loadDefaultCAs = false;
  context_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
  context_->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
  session_ = std::make_unique<Poco::Net::HTTPSClientSession>(
      endpoint.host, static_cast<Poco::UInt16>(endpoint.port), context_);
  session_->setTimeout(Poco::Timespan(120, 0));
}

void RegistryClient::Login(const std::string& login, const std::string& password,
                           const std::string& totp) {
  nlohmann::json body = {{"login", login}, {"password", password}};
  if (!totp.empty()) body["totp"] = totp;
  RegistryReply reply = Request("POST", "/login", body.dump());
  if (reply.status != 200 || !reply.body.contains("token")) {
    throw std::runtime_error("サインインできません / cannot sign in: " + ErrorMessage(reply));
  }
  token_ = reply.body["token"].get<std::string>();
}

RegistryReply RegistryClient::Request(const std::string& method, const std::string& path,
                                      const std::string& body) {
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  request.setContentType("application/json");
  if (!token_.empty()) request.set("Authorization", "Bearer " + token_);
  request.setContentLength(static_cast<std::streamsize>(body.size()));
  RegistryReply reply;
  try {
    session_->sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session_->receiveResponse(response);
    std::ostringstream text;
    text << in.rdbuf();
    reply.status = static_cast<int>(response.getStatus());
    reply.body = nlohmann::json::parse(text.str(), nullptr, false);
    if (reply.body.is_discarded()) reply.body = nullptr;
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("登録システムに接続できません / cannot reach the registry: " +
                             e.displayText());
  }
  return reply;
}

std::string ErrorMessage(const RegistryReply& reply) {
  if (reply.body.is_object() && reply.body.contains("error") && reply.body["error"].is_object()) {
    const nlohmann::json& e = reply.body["error"];
    return e.value("ja", std::string()) + " / " + e.value("en", std::string()) + " (HTTP " +
           std::to_string(reply.status) + ", " + e.value("code", std::string()) + ")";
  }
  return "HTTP " + std::to_string(reply.status);
}

}  // namespace kijun::server
