#include "server/field_cipher.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

namespace kijun::server {

namespace {

constexpr unsigned char kFormat = 1;
constexpr int kNonceBytes = 12;
constexpr int kTagBytes = 16;

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, void (*)(EVP_CIPHER_CTX*)>;

CipherContext NewContext() {
  CipherContext context(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!context) throw std::runtime_error("EVP_CIPHER_CTX_new failed");
  return context;
}

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

unsigned char* Bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

void RequireKey(std::string_view key) {
  if (key.size() != kDataKeyBytes) throw std::invalid_argument("a data key is 32 bytes");
}

}  // namespace

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(Bytes(out), static_cast<int>(n)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return out;
}

std::string Seal(std::string_view key, std::string_view plaintext, std::string_view place) {
  RequireKey(key);
  std::string nonce = RandomBytes(kNonceBytes);
  CipherContext context = NewContext();
  std::string out(1 + kNonceBytes + plaintext.size() + kTagBytes, '\0');
  out[0] = static_cast<char>(kFormat);
  out.replace(1, kNonceBytes, nonce);
  int length = 0;
  unsigned char* body = Bytes(out) + 1 + kNonceBytes;
  if (EVP_EncryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, Bytes(key), Bytes(nonce)) !=
          1 ||
      EVP_EncryptUpdate(context.get(), nullptr, &length, Bytes(place),
                        static_cast<int>(place.size())) != 1 ||
      EVP_EncryptUpdate(context.get(), body, &length, Bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(context.get(), body + length, &length) != 1 ||
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          body + plaintext.size()) != 1) {
    throw std::runtime_error("AES-256-GCM encryption failed");
  }
  return out;
}

std::string Open(std::string_view key, std::string_view sealed, std::string_view place) {
  RequireKey(key);
  if (sealed.size() < 1 + kNonceBytes + kTagBytes || sealed[0] != static_cast<char>(kFormat)) {
    throw DecryptionError("not a sealed value (unknown format)");
  }
  std::string_view nonce = sealed.substr(1, kNonceBytes);
  std::string_view body =
      sealed.substr(1 + kNonceBytes, sealed.size() - 1 - kNonceBytes - kTagBytes);
  std::string tag(sealed.substr(sealed.size() - kTagBytes));
  CipherContext context = NewContext();
  std::string out(body.size(), '\0');
  int length = 0;
  if (EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, Bytes(key), Bytes(nonce)) !=
          1 ||
      EVP_DecryptUpdate(context.get(), nullptr, &length, Bytes(place),
                        static_cast<int>(place.size())) != 1 ||
      EVP_DecryptUpdate(context.get(), Bytes(out), &length, Bytes(body),
                        static_cast<int>(body.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, Bytes(tag)) != 1 ||
      EVP_DecryptFinal_ex(context.get(), Bytes(out) + length, &length) != 1) {
    // The tag did not match: another key, another place, or changed bytes.
    throw DecryptionError("the stored value does not decrypt for " + std::string(place) +
                          " (moved, changed or under another key)");
  }
  return out;
}

std::string ToByteaHex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + 2 * bytes.size());
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

std::string FromByteaHex(std::string_view text) {
  auto nibble = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0) {
    throw DecryptionError("not a bytea hex value");
  }
  std::string out;
  out.reserve(text.size() / 2 - 1);
  for (size_t i = 2; i < text.size(); i += 2) {
    int hi = nibble(text[i]), lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) throw DecryptionError("not a bytea hex value");
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

}  // namespace kijun::server
