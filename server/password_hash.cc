#include "server/password_hash.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace kijun::server {

namespace {

constexpr std::string_view kPrefix = "scrypt";
constexpr int kLog2N = 15;
constexpr int kR = 8;
constexpr int kP = 1;
constexpr size_t kSaltBytes = 16;
constexpr size_t kKeyBytes = 32;

// Bounds on what VerifyPassword accepts from a stored string.
constexpr int kMinLog2N = 10;
constexpr int kMaxLog2N = 20;
constexpr int kMaxR = 16;
constexpr int kMaxP = 4;
constexpr size_t kMinSaltBytes = 8;
constexpr size_t kMaxSaltBytes = 64;
constexpr size_t kMinKeyBytes = 16;
constexpr size_t kMaxKeyBytes = 64;

// Upper limit on the memory one scrypt computation may use. Our parameters
// need a little over 32 MiB (128 * r * N plus small buffers), above OpenSSL's
// default limit of 32 MiB, so the limit has to be given. The cap also applies
// to verification: parameters within the bounds above that would need more
// than this (say log2 N 20 with r 8, 1 GiB) are refused by EVP_PBE_scrypt and
// the password does not verify.
constexpr uint64_t kMaxMemoryBytes = uint64_t{64} << 20;

std::string Base64Encode(const unsigned char* data, size_t size) {
  // EVP_EncodeBlock writes the base64 text and a terminating NUL, no newlines.
  std::vector<unsigned char> buffer(4 * ((size + 2) / 3) + 1);
  int written = EVP_EncodeBlock(buffer.data(), data, static_cast<int>(size));
  return {reinterpret_cast<const char*>(buffer.data()), static_cast<size_t>(written)};
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Strict standard base64: length a multiple of 4, '=' only as the last one
// or two characters, unused bits zero (so each byte string has exactly one
// accepted encoding).
std::optional<std::vector<unsigned char>> Base64Decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  if (text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  std::vector<unsigned char> out;
  out.reserve(text.size() / 4 * 3);
  uint32_t bits = 0;
  int bit_count = 0;
  for (size_t i = 0; i < text.size() - padding; ++i) {
    int value = Base64Value(text[i]);
    if (value < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out.push_back(static_cast<unsigned char>((bits >> bit_count) & 0xffU));
    }
  }
  // Left-over bits must be zero padding bits.
  if ((bits & ((uint32_t{1} << bit_count) - 1)) != 0) return std::nullopt;
  return out;
}

// A small decimal number: 1 or 2 ASCII digits, nothing else.
std::optional<int> ParseSmallInt(std::string_view text) {
  if (text.empty() || text.size() > 2) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// scrypt of `password` into `key`; false if OpenSSL refuses (memory limit,
// allocation failure). Leaves no errors on OpenSSL's per-thread queue, which
// other OpenSSL users on the same thread (TLS) would otherwise see.
bool Scrypt(std::string_view password, const unsigned char* salt, size_t salt_size, int log2_n,
            int r, int p, unsigned char* key, size_t key_size) {
  int ok = EVP_PBE_scrypt(password.data(), password.size(), salt, salt_size, uint64_t{1} << log2_n,
                          static_cast<uint64_t>(r), static_cast<uint64_t>(p), kMaxMemoryBytes, key,
                          key_size);
  if (ok != 1) ERR_clear_error();
  return ok == 1;
}

}  // namespace

std::string HashPassword(std::string_view password) {
  std::array<unsigned char, kSaltBytes> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    ERR_clear_error();
    throw std::runtime_error("HashPassword: no random bytes for the salt");
  }
  std::array<unsigned char, kKeyBytes> key{};
  if (!Scrypt(password, salt.data(), salt.size(), kLog2N, kR, kP, key.data(), key.size())) {
    throw std::runtime_error("HashPassword: scrypt failed");
  }
  std::string encoded(kPrefix);
  encoded += '$' + std::to_string(kLog2N) + '$' + std::to_string(kR) + '$' + std::to_string(kP) +
             '$' + Base64Encode(salt.data(), salt.size()) + '$' +
             Base64Encode(key.data(), key.size());
  OPENSSL_cleanse(key.data(), key.size());
  return encoded;
}

bool VerifyPassword(std::string_view password, std::string_view encoded) {
  try {
    // scrypt $ log2N $ r $ p $ salt $ hash
    std::array<std::string_view, 6> fields;
    size_t count = 0;
    size_t start = 0;
    while (true) {
      size_t end = encoded.find('$', start);
      if (count == fields.size()) return false;
      fields[count++] = encoded.substr(start, end == std::string_view::npos ? end : end - start);
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
    if (count != fields.size() || fields[0] != kPrefix) return false;

    std::optional<int> log2_n = ParseSmallInt(fields[1]);
    std::optional<int> r = ParseSmallInt(fields[2]);
    std::optional<int> p = ParseSmallInt(fields[3]);
    if (!log2_n || !r || !p) return false;
    if (*log2_n < kMinLog2N || *log2_n > kMaxLog2N) return false;
    if (*r < 1 || *r > kMaxR || *p < 1 || *p > kMaxP) return false;

    std::optional<std::vector<unsigned char>> salt = Base64Decode(fields[4]);
    std::optional<std::vector<unsigned char>> expected = Base64Decode(fields[5]);
    if (!salt || !expected) return false;
    if (salt->size() < kMinSaltBytes || salt->size() > kMaxSaltBytes) return false;
    if (expected->size() < kMinKeyBytes || expected->size() > kMaxKeyBytes) return false;

    std::vector<unsigned char> key(expected->size());
    if (!Scrypt(password, salt->data(), salt->size(), *log2_n, *r, *p, key.data(), key.size())) {
      return false;
    }
    // Same length by construction; the comparison time does not depend on
    // the contents.
    bool match = CRYPTO_memcmp(key.data(), expected->data(), key.size()) == 0;
    OPENSSL_cleanse(key.data(), key.size());
    return match;
  } catch (...) {
    return false;
  }
}

}  // namespace kijun::server
