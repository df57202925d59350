#pragma once

// Authenticated encryption of one stored value (AES-256-GCM, OpenSSL).
// Every ciphertext is bound by its associated data to the place it is
// stored in — "institution.patients/42/name" — so a ciphertext copied to
// another row or column fails to decrypt instead of showing another
// patient's name.
//
// Layout of a sealed value (docs/security.md):
//   1 byte format version (1) | 12-byte random nonce | ciphertext | 16-byte tag

#include <stdexcept>
#include <string>
#include <string_view>

namespace kijun::server {

constexpr size_t kDataKeyBytes = 32;  // AES-256

// A decryption that failed: wrong key, wrong place (row/column), or a
// ciphertext changed in the database.
class DecryptionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `key` must be kDataKeyBytes long; `place` is the associated data.
std::string Seal(std::string_view key, std::string_view plaintext, std::string_view place);
std::string Open(std::string_view key, std::string_view sealed, std::string_view place);

// Cryptographically random bytes (RAND_bytes).
std::string RandomBytes(size_t n);

// PostgreSQL's bytea text form ("\x0a1b…") and back; the database layer
// passes every value as text.
std::string ToByteaHex(std::string_view bytes);
std::string FromByteaHex(std::string_view text);

}  // namespace kijun::server
