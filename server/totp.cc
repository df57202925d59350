#include "server/totp.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace kijun::server {

namespace {

constexpr std::string_view kBase32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr int64_t kStepSeconds = 30;
constexpr size_t kDigits = 6;
constexpr uint32_t kModulus = 1000000;  // 10^kDigits
constexpr size_t kSecretBytes = 20;

int Base32Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

// floor(unix_time / 30): times before the epoch fall in negative steps.
int64_t StepOf(int64_t unix_time) {
  int64_t step = unix_time / kStepSeconds;
  if (unix_time % kStepSeconds < 0) --step;
  return step;
}

// RFC 4226 HOTP value of `step` (a non-negative counter) under `key`, as
// kDigits digits with leading zeros. "" if OpenSSL fails.
std::string HotpCode(const std::string& key, int64_t step) {
  std::array<unsigned char, 8> counter{};
  auto value = static_cast<uint64_t>(step);
  for (size_t i = counter.size(); i-- > 0;) {
    counter[i] = static_cast<unsigned char>(value & 0xffU);
    value >>= 8;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_size = 0;
  if (HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), counter.data(), counter.size(),
           mac.data(), &mac_size) == nullptr ||
      mac_size < 20) {
    ERR_clear_error();
    return "";
  }
  // Dynamic truncation (RFC 4226 section 5.3).
  size_t offset = mac[mac_size - 1] & 0x0fU;
  uint32_t binary = (static_cast<uint32_t>(mac[offset] & 0x7fU) << 24) |
                    (static_cast<uint32_t>(mac[offset + 1]) << 16) |
                    (static_cast<uint32_t>(mac[offset + 2]) << 8) |
                    static_cast<uint32_t>(mac[offset + 3]);
  uint32_t number = binary % kModulus;
  std::string code(kDigits, '0');
  for (size_t i = kDigits; i-- > 0;) {
    code[i] = static_cast<char>('0' + number % 10);
    number /= 10;
  }
  OPENSSL_cleanse(mac.data(), mac.size());
  return code;
}

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// RFC 3986 percent-encoding of everything but the unreserved characters.
std::string PercentEncode(std::string_view text) {
  constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (IsUnreserved(c)) {
      out += c;
    } else {
      auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0fU];
    }
  }
  return out;
}

}  // namespace

std::string Base32Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  uint32_t bits = 0;
  int bit_count = 0;
  for (char c : bytes) {
    bits = (bits << 8) | static_cast<unsigned char>(c);
    bit_count += 8;
    while (bit_count >= 5) {
      bit_count -= 5;
      out += kBase32Alphabet[(bits >> bit_count) & 0x1fU];
    }
  }
  if (bit_count > 0) out += kBase32Alphabet[(bits << (5 - bit_count)) & 0x1fU];
  return out;
}

std::optional<std::string> Base32Decode(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 5 / 8);
  uint32_t bits = 0;
  int bit_count = 0;
  size_t symbols = 0;
  bool in_padding = false;
  for (char c : text) {
    if (c == ' ') continue;
    if (c == '=') {
      in_padding = true;
      continue;
    }
    int value = Base32Value(c);
    if (value < 0 || in_padding) return std::nullopt;
    ++symbols;
    bits = (bits << 5) | static_cast<uint32_t>(value);
    bit_count += 5;
    if (bit_count >= 8) {
      bit_count -= 8;
      out += static_cast<char>((bits >> bit_count) & 0xffU);
    }
  }
  // A final group of 1, 3 or 6 symbols cannot come from whole bytes.
  size_t tail = symbols % 8;
  if (tail == 1 || tail == 3 || tail == 6) return std::nullopt;
  return out;
}

std::string NewTotpSecret() {
  std::array<unsigned char, kSecretBytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    ERR_clear_error();
    throw std::runtime_error("NewTotpSecret: no random bytes");
  }
  std::string secret = Base32Encode({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return secret;
}

std::string TotpCode(std::string_view secret_base32, int64_t unix_time) {
  std::optional<std::string> key = Base32Decode(secret_base32);
  int64_t step = StepOf(unix_time);
  if (!key || key->empty() || step < 0) return "";
  std::string code = HotpCode(*key, step);
  OPENSSL_cleanse(key->data(), key->size());
  return code;
}

bool VerifyTotp(std::string_view secret_base32, std::string_view code, int64_t unix_time,
                int64_t* last_used_step) {
  if (code.size() != kDigits) return false;
  for (char c : code) {
    if (c < '0' || c > '9') return false;
  }
  std::optional<std::string> key = Base32Decode(secret_base32);
  if (!key || key->empty()) return false;

  int64_t current = StepOf(unix_time);
  // Every candidate step is computed and compared, so the time taken does
  // not tell which step (if any) matched.
  bool found = false;
  int64_t matched_step = 0;
  for (int64_t step = current - 1; step <= current + 1; ++step) {
    if (step < 0) continue;
    if (last_used_step != nullptr && step <= *last_used_step) continue;
    std::string expected = HotpCode(*key, step);
    if (expected.size() != kDigits) continue;
    if (CRYPTO_memcmp(expected.data(), code.data(), kDigits) == 0 && !found) {
      found = true;
      matched_step = step;
    }
  }
  OPENSSL_cleanse(key->data(), key->size());
  if (found && last_used_step != nullptr) *last_used_step = matched_step;
  return found;
}

std::string TotpUri(std::string_view secret, std::string_view account, std::string_view issuer) {
  std::string uri = "otpauth://totp/";
  if (!issuer.empty()) uri += PercentEncode(issuer) + ':';
  uri += PercentEncode(account);
  uri += "?secret=" + PercentEncode(secret);
  if (!issuer.empty()) uri += "&issuer=" + PercentEncode(issuer);
  uri += "&algorithm=SHA1&digits=6&period=30";
  return uri;
}

}  // namespace kijun::server
