#include "server/access_key.h"

#include <openssl/rand.h>

#include <cctype>
#include <stdexcept>

namespace kijun::server {

namespace {
constexpr const char* kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
}

std::string NewAccessKey() {
  unsigned char bytes[10];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  std::string key;
  uint32_t buffer = 0;
  int bits = 0;
  int written = 0;
  for (unsigned char b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      if (written > 0 && written % 4 == 0) key += '-';
      key += kAlphabet[(buffer >> bits) & 31];
      ++written;
    }
  }
  return key;
}

bool NormaliseAccessKey(std::string& key) {
  std::string out;
  int chars = 0;
  for (char ch : key) {
    if (ch == ' ' || ch == '-') continue;
    char c = char(std::toupper(static_cast<unsigned char>(ch)));
    if (std::string_view(kAlphabet).find(c) == std::string_view::npos) return false;
    if (chars > 0 && chars % 4 == 0) out += '-';
    out += c;
    ++chars;
  }
  if (chars != 16) return false;
  key = out;
  return true;
}

}  // namespace kijun::server
