#pragma once

// The patient blind index: a keyed HMAC-SHA256 over the normalised name,
// the birth date and the insurance number. Equal patients give equal index
// values, so carry-forward finds a patient's earlier forms (also at another
// institution) without decrypting every patient, and the value tells
// nothing to someone without the index key.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/key_encryption_keys.h"

namespace kijun::server {

// Full-width ASCII to half-width, ASCII letters to lower case, spaces
// (ASCII and the ideographic space U+3000) removed: "山田　太郎" and
// "山田 太郎" are the same person; kana/kanji variants are not folded.
std::string NormaliseForIndex(std::string_view text);

// 64 hex digits.
std::string PatientBlindIndex(std::string_view key, std::string_view name,
                              std::string_view birth_date,
                              const std::optional<std::string>& insurance_number);

// The patient's index value under each of `keys`, in their order: a look-up
// matches any, so it finds rows under the old and the new key while the
// index is recomputed (kijun-admin rotate-index-key).
std::vector<std::string> PatientBlindIndexes(const std::vector<BlindIndexKey>& keys,
                                             std::string_view name, std::string_view birth_date,
                                             const std::optional<std::string>& insurance_number);

}  // namespace kijun::server
