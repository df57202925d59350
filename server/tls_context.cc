#include "server/tls_context.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace kijun::server {

namespace {

// TLS 1.2 suites with ECDHE and an AEAD cipher; TLS 1.3 suites are all AEAD.
constexpr const char* kCiphers =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";

void RequireFile(const std::string& path, const char* what) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw std::runtime_error(std::string(what) + " '" + path + "' not found");
  }
}

// Loads the revocation list into the context's store and turns on checking
// for the client's certificate.
void LoadCrl(SSL_CTX* ctx, const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "r"), &std::fclose);
  if (!file) throw std::runtime_error("cannot open CRL '" + path + "'");
  X509_CRL* crl = PEM_read_X509_CRL(file.get(), nullptr, nullptr, nullptr);
  if (crl == nullptr) throw std::runtime_error("'" + path + "' is not a PEM CRL");
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int added = X509_STORE_add_crl(store, crl);
  X509_CRL_free(crl);
  if (added != 1) throw std::runtime_error("cannot use CRL '" + path + "'");
  X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
}

}  // namespace

Poco::Net::Context::Ptr MakeServerContext(const ServerConfig& config) {
  RequireFile(config.server_key, "server key");
  RequireFile(config.server_certificate, "server certificate");
  RequireFile(config.client_ca, "client CA certificate");
  Poco::Net::Context::Params params;
  params.privateKeyFile = config.server_key;
  params.certificateFile = config.server_certificate;
  params.caLocation = config.client_ca;
  params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
  params.verificationDepth = 2;
  params.loadDefaultCAs = false;
  params.cipherList = kCiphers;
  Poco::Net::Context::Ptr context =
      new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
  context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
  // The chain and revocation are checked by OpenSSL; a terminal certificate
  // names a terminal, not the host it connects from.
  context->enableExtendedCertificateVerification(false);
  context->enableSessionCache(true, "kijun-registry");
  if (!config.crl.empty()) {
    RequireFile(config.crl, "certificate revocation list");
    LoadCrl(context->sslContext(), config.crl);
  }
  return context;
}

}  // namespace kijun::server
