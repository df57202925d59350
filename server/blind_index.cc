#include "server/blind_index.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace kijun::server {

std::string NormaliseForIndex(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    auto byte = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
    // U+3000 IDEOGRAPHIC SPACE = E3 80 80
    if (i + 2 < text.size() && byte(0) == 0xE3 && byte(1) == 0x80 && byte(2) == 0x80) {
      i += 3;
      continue;
    }
    // U+FF01..U+FF5E (full-width ASCII) = EF BC 81..EF BD 9E → U+0021..U+007E
    if (i + 2 < text.size() && byte(0) == 0xEF && (byte(1) == 0xBC || byte(1) == 0xBD)) {
      unsigned code = ((byte(0) & 0x0F) << 12) | ((byte(1) & 0x3F) << 6) | (byte(2) & 0x3F);
      if (code >= 0xFF01 && code <= 0xFF5E) {
        char c = static_cast<char>(code - 0xFF01 + 0x21);
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        out += c;
        i += 3;
        continue;
      }
    }
    char c = text[i];
    if (c == ' ' || c == '\t') {
      ++i;
      continue;
    }
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out += c;
    ++i;
  }
  return out;
}

std::string PatientBlindIndex(std::string_view key, std::string_view name,
                              std::string_view birth_date,
                              const std::optional<std::string>& insurance_number) {
  // Fields joined with a separator that normalised text cannot contain
  // unambiguously (a newline), under a version tag.
  std::string message = "kijun-patient-index/1\n" + NormaliseForIndex(name) + "\n" +
                        std::string(birth_date) + "\n" +
                        NormaliseForIndex(insurance_number.value_or(""));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac,
           &length) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kDigits[mac[i] >> 4];
    out += kDigits[mac[i] & 15];
  }
  return out;
}

std::vector<std::string> PatientBlindIndexes(const std::vector<BlindIndexKey>& keys,
                                             std::string_view name, std::string_view birth_date,
                                             const std::optional<std::string>& insurance_number) {
  std::vector<std::string> values;
  values.reserve(keys.size());
  for (const BlindIndexKey& k : keys) {
    values.push_back(PatientBlindIndex(k.key, name, birth_date, insurance_number));
  }
  return values;
}

}  // namespace kijun::server
