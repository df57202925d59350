#include "server/https_server.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/URI.h>

#include <iostream>

#include "server/field_cipher.h"
#include "server/request_log.h"
#include "server/tls_context.h"

namespace kijun::server {

namespace {

Terminal TerminalOf(Poco::Net::HTTPServerRequest& request) {
  Terminal terminal;
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request);
  if (impl == nullptr) return terminal;
  try {
    Poco::Net::SecureStreamSocket socket(impl->socket());
    if (socket.havePeerCertificate()) {
      Poco::Net::X509Certificate cert = socket.peerCertificate();
      terminal.common_name = cert.commonName();
      terminal.organisation = cert.subjectName(Poco::Net::X509Certificate::NID_ORGANIZATION_NAME);
      terminal.serial = cert.serialNumber();
    }
  } catch (const Poco::Exception&) {
    // Not a TLS socket: no terminal.
  }
  return terminal;
}

// Reads at most `limit` bytes; false when the body is longer.
bool ReadBody(std::istream& in, size_t limit, std::string& out) {
  char buffer[16384];
  while (in) {
    in.read(buffer, sizeof buffer);
    out.append(buffer, size_t(in.gcount()));
    if (out.size() > limit) return false;
  }
  return true;
}

void Send(Poco::Net::HTTPServerResponse& response, const ApiResponse& answer) {
  response.setStatus(Poco::Net::HTTPResponse::HTTPStatus(answer.status));
  response.set("Strict-Transport-Security", "max-age=31536000");
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Cache-Control", "no-store");
  std::string text;
  if (!answer.content_type.empty()) {
    response.setContentType(answer.content_type);
    text = answer.text;
  } else {
    response.setContentType("application/json; charset=utf-8");
    text = answer.body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  }
  response.setContentLength(std::streamsize(text.size()));
  response.send() << text;
}

class ApiRequestHandler : public Poco::Net::HTTPRequestHandler {
 public:
  ApiRequestHandler(const Router& router, size_t max_body, size_t max_bundle,
                    const RequestHooks& hooks)
      : router_(router), max_body_(max_body), max_bundle_(max_bundle), hooks_(hooks) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    auto start = std::chrono::steady_clock::now();
    SetRequestActor("");
    ApiRequest api;
    ApiResponse answer;
    try {
      answer = Handle(request, api);
    } catch (const ApiError& e) {
      answer = {e.status(), e.ToJson(), "", ""};
    } catch (const DecryptionError& e) {
      // A sealed value that does not open was moved, changed or re-keyed in
      // the database behind the server's back: nothing is shown, and the
      // operator is told.
      std::cerr << "kijun-server: STORED DATA DOES NOT DECRYPT (tampering?): "
                << request.getMethod() << " " << request.getURI() << ": " << e.what() << '\n';
      answer = {
          500,
          ApiError(500, "stored_data_unreadable",
                   "保存されたデータを復号できません (改ざんの可能性)。運用者に連絡してください",
                   "stored data does not decrypt (possibly tampered with); tell the operator")
              .ToJson(),
          "", ""};
    } catch (const std::exception& e) {
      std::cerr << "kijun-server: " << request.getMethod() << " " << request.getURI()
                << ": internal error: " << e.what() << '\n';
      answer = {500,
                ApiError(500, "internal", "サーバ内部のエラーです。変更は保存されていません",
                         "internal server error; nothing was changed")
                    .ToJson(),
                "", ""};
    }
    if (api.method.empty()) {
      api.method = request.getMethod();
      api.path = request.getURI().substr(0, 200);
    }
    if (hooks_.answered) hooks_.answered(api, answer.status);
    Send(response, answer);
    LogRequest(std::cout, api, answer.status, std::chrono::steady_clock::now() - start);
  }

 private:
  ApiResponse Handle(Poco::Net::HTTPServerRequest& request, ApiRequest& r) {
    r.method = request.getMethod();
    Poco::URI uri;
    try {
      uri = Poco::URI(request.getURI());
    } catch (const Poco::Exception&) {
      throw ApiError(400, "bad_uri", "URL が読めません", "malformed request URI");
    }
    r.path = uri.getPath();
    for (const auto& [name, value] : uri.getQueryParameters()) r.query[name] = value;
    const std::string& authorization = request.get("Authorization", "");
    if (authorization.rfind("Bearer ", 0) == 0) r.bearer = authorization.substr(7);
    r.remote = request.clientAddress().host().toString();
    r.terminal = TerminalOf(request);
    // Rule bundles hold every rule file; everything else is one form.
    size_t limit = r.path == "/rules/bundles" ? max_bundle_ : max_body_;
    ApiError too_large(413, "too_large",
                       "本文が大きすぎます (" + std::to_string(limit) + " バイトまで)",
                       "request body larger than " + std::to_string(limit) + " bytes");
    if (request.hasContentLength() && request.getContentLength64() > int64_t(limit)) {
      throw too_large;
    }
    if (!ReadBody(request.stream(), limit, r.body)) throw too_large;
    // After the body is read, so that a refused request leaves the
    // keep-alive connection usable.
    if (hooks_.admit) hooks_.admit(r);
    return router_.Dispatch(r);
  }

  const Router& router_;
  size_t max_body_;
  size_t max_bundle_;
  const RequestHooks& hooks_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(const Router& router, size_t max_body, size_t max_bundle, RequestHooks hooks)
      : router_(router), max_body_(max_body), max_bundle_(max_bundle), hooks_(std::move(hooks)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest& /*request*/) override {
    return new ApiRequestHandler(router_, max_body_, max_bundle_, hooks_);
  }

 private:
  const Router& router_;
  size_t max_body_;
  size_t max_bundle_;
  RequestHooks hooks_;
};

}  // namespace

HttpsServer::HttpsServer(const ServerConfig& config, const Router& router, RequestHooks hooks) {
  Poco::Net::Context::Ptr context = MakeServerContext(config);
  Poco::Net::SecureServerSocket socket(
      Poco::Net::SocketAddress(config.host, Poco::UInt16(config.port)), 128, context);
  port_ = socket.address().port();
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(config.threads);
  params->setMaxQueued(1024);
  params->setKeepAlive(true);
  params->setMaxKeepAliveRequests(0);
  params->setKeepAliveTimeout(Poco::Timespan(30, 0));
  server_ = std::make_unique<Poco::Net::HTTPServer>(
      new Factory(router, config.max_body_bytes, config.max_bundle_bytes, std::move(hooks)), socket,
      params);
}

HttpsServer::~HttpsServer() { Stop(); }

void HttpsServer::Start() { server_->start(); }

void HttpsServer::Stop() {
  if (server_) server_->stopAll(true);
}

int HttpsServer::port() const { return port_; }

}  // namespace kijun::server
