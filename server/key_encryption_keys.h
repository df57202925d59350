#pragma once

// The key-encryption keys (KEKs) that wrap every record's data key, and the
// blind-index key. They live outside the database: by default in a key
// folder (KeyFolder, below) with strict permissions; the interface is what
// an HSM or a cloud KMS would implement instead.

#include <string>
#include <string_view>
#include <vector>

namespace kijun::server {

struct WrappedKey {
  std::string kek_id;  // which KEK wrapped it
  std::string bytes;   // the sealed data key
};

// One version of the blind-index HMAC key. Each patient row records the id
// of the key its index value was computed under (institution.patients.
// blind_index_key), so the key can be replaced by recomputing the index
// (`kijun-admin rotate-index-key`).
struct BlindIndexKey {
  std::string id;
  std::string key;  // 32 bytes
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
  // The blind-index key new index values are computed under.
  virtual BlindIndexKey CurrentBlindIndexKey() = 0;
  // Every blind-index key available, the current one first. While the index
  // is being recomputed under a new key, rows are under the old or the new
  // one: a look-up computes the patient's value under each and matches any.
  virtual std::vector<BlindIndexKey> BlindIndexKeys() = 0;
};

}  // namespace kijun::server
