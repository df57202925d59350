#pragma once

// The key-encryption keys (KEKs) that wrap every record's data key, and the
// blind-index key. They live outside the database: by default in a key
// folder (KeyFolder, below) with strict permissions; the interface is what
// an HSM or a cloud KMS would implement instead.

#include <string>
#include <string_view>

namespace kijun::server {

struct WrappedKey {
  std::string kek_id;  // which KEK wrapped it
  std::string bytes;   // the sealed data key
};

class KeyEncryptionKeys {
 public:
  virtual ~KeyEncryptionKeys() = default;
  // Wraps `data_key` under the current KEK, bound to `place` (the data-key
  // row, e.g. "institution.data_keys/17").
  virtual WrappedKey Wrap(std::string_view data_key, std::string_view place) = 0;
  // Unwraps with the KEK the key was wrapped under; DecryptionError when it
  // does not open, std::runtime_error when that KEK is not available.
  virtual std::string Unwrap(const WrappedKey& wrapped, std::string_view place) = 0;
  // The id new data keys are wrapped under.
  virtual std::string CurrentId() = 0;
  // The HMAC key of the patient blind index (not rotated with the KEKs: the
  // index would have to be recomputed).
  virtual std::string BlindIndexKey() = 0;
};

}  // namespace kijun::server
