#pragma once

// Signs and verifies statements with the server's key pair (the TLS key and
// certificate, PEM): the audit trail's checkpoints and the proof of
// authorship of confirmed forms. The private key is outside the database,
// so whoever can write the database cannot forge either.

#include <openssl/evp.h>

#include <memory>
#include <string>

namespace kijun::server {

// The text a checkpoint signs.
std::string CheckpointText(int64_t seq, const std::string& hash, const std::string& at);

class ServerSigner {
 public:
  // Throws std::runtime_error naming the file when the key cannot be read.
  explicit ServerSigner(const std::string& private_key_pem);
  // Hex DER signature of `text`; throws std::runtime_error on failure.
  std::string Sign(const std::string& text) const;

 private:
  std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> key_;
};

class ServerSignatureChecker {
 public:
  // From the server's certificate (PEM); throws std::runtime_error naming
  // the file when it cannot be read.
  explicit ServerSignatureChecker(const std::string& certificate_pem);
  bool Verify(const std::string& text, const std::string& signature_hex) const;

 private:
  std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> key_;
};

}  // namespace kijun::server
