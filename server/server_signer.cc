#include "server/server_signer.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <stdexcept>
#include <vector>

namespace kijun::server {

namespace {

using File = std::unique_ptr<FILE, int (*)(FILE*)>;
using DigestContext = std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)>;

File Open(const std::string& path, const char* what) {
  File file(std::fopen(path.c_str(), "r"), &std::fclose);
  if (!file) {
    throw std::runtime_error(std::string(what) + "「" + path + "」を開けません / cannot open " +
                             what + " '" + path + "'");
  }
  return file;
}

std::string Hex(const std::vector<unsigned char>& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

bool FromHex(const std::string& text, std::vector<unsigned char>& out) {
  if (text.size() % 2 != 0) return false;
  auto nibble = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < text.size(); i += 2) {
    int hi = nibble(text[i]), lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<unsigned char>(hi * 16 + lo));
  }
  return true;
}

}  // namespace

std::string CheckpointText(int64_t seq, const std::string& hash, const std::string& at) {
  return "kijun-audit-checkpoint/1\n" + std::to_string(seq) + "\n" + hash + "\n" + at + "\n";
}

ServerSigner::ServerSigner(const std::string& private_key_pem) : key_(nullptr, &EVP_PKEY_free) {
  File file = Open(private_key_pem, "サーバの秘密鍵 / server key");
  key_.reset(PEM_read_PrivateKey(file.get(), nullptr, nullptr, nullptr));
  if (!key_) throw std::runtime_error("'" + private_key_pem + "' is not a PEM private key");
}

std::string ServerSigner::Sign(const std::string& text) const {
  DigestContext ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1) {
    throw std::runtime_error("cannot sign with the server key");
  }
  std::vector<unsigned char> signature(length);
  if (EVP_DigestSign(ctx.get(), signature.data(), &length,
                     reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1) {
    throw std::runtime_error("cannot sign with the server key");
  }
  signature.resize(length);
  return Hex(signature);
}

ServerSignatureChecker::ServerSignatureChecker(const std::string& certificate_pem)
    : key_(nullptr, &EVP_PKEY_free) {
  File file = Open(certificate_pem, "サーバ証明書 / server certificate");
  std::unique_ptr<X509, void (*)(X509*)> certificate(
      PEM_read_X509(file.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!certificate) throw std::runtime_error("'" + certificate_pem + "' is not a PEM certificate");
  key_.reset(X509_get_pubkey(certificate.get()));
  if (!key_) throw std::runtime_error("no public key in '" + certificate_pem + "'");
}

bool ServerSignatureChecker::Verify(const std::string& text,
                                    const std::string& signature_hex) const {
  std::vector<unsigned char> signature;
  if (!FromHex(signature_hex, signature)) return false;
  DigestContext ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                          reinterpret_cast<const unsigned char*>(text.data()), text.size()) == 1;
}

}  // namespace kijun::server
