#pragma once

// KeyEncryptionKeys kept as files in one folder (mode 0700, files 0600):
//   kek-<id>.key   one key-encryption key each (64 hex digits)
//   current        the id new data keys are wrapped under
//   index.key      the first blind-index HMAC key (64 hex digits), id "original"
//   index-<id>.key later blind-index keys (kijun-admin rotate-index-key)
//   index-current  the id new index values are computed under (absent: "original")
//   rotating       present while `kijun-admin rotate-key` re-wraps data keys
//                  (the id it re-wraps to); lets an interrupted rotation resume
//   index-rotating the same for `kijun-admin rotate-index-key` (the index key
//                  id it recomputes the blind index under)
// A folder or key file readable by group or others is refused. The server
// notices a new `current` or `index-current` (written by the rotations on
// the running system) within a second, and loads a KEK it has not seen when
// a data key needs it. The blind-index keys are the index key files present:
// one archived away after its rotation is no longer computed.

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "server/key_encryption_keys.h"

namespace kijun::server {

// The id of the first blind-index key, `index.key` (rows indexed before
// index keys had versions are under it, migration 009).
inline constexpr const char* kOriginalIndexKeyId = "original";

class KeyFolder : public KeyEncryptionKeys {
 public:
  // Loads the folder; throws (bilingual) when it is missing, has loose
  // permissions, or a key file is malformed.
  explicit KeyFolder(std::string folder);

  // Creates the folder with a first KEK and an index key when it does not
  // exist yet; true when it created it.
  static bool Initialise(const std::string& folder);

  WrappedKey Wrap(std::string_view data_key, std::string_view place) override;
  std::string Unwrap(const WrappedKey& wrapped, std::string_view place) override;
  std::string CurrentId() override;
  BlindIndexKey CurrentBlindIndexKey() override;
  std::vector<BlindIndexKey> BlindIndexKeys() override;

  // Rotation (kijun-admin rotate-key): a new KEK file, its id.
  std::string CreateKek();
  void SetCurrent(const std::string& id);
  // The interrupted rotation's target, or "".
  std::string RotationTarget() const;
  void SetRotationTarget(const std::string& id);  // "" = rotation finished

  // Index key rotation (kijun-admin rotate-index-key), the same way.
  std::string CreateIndexKey();
  void SetCurrentIndexKey(const std::string& id);
  std::string IndexRotationTarget() const;
  void SetIndexRotationTarget(const std::string& id);  // "" = rotation finished
  // The file of an index key: index.key for "original", index-<id>.key.
  std::string IndexKeyFile(const std::string& id) const;
  const std::string& folder() const { return folder_; }

 private:
  const std::string& Kek(const std::string& id);  // loads it on first use; mutex_ held
  void ReadCurrent();                             // mutex_ held
  void ReadIndexKeys();                           // mutex_ held
  void RefreshIndexKeys();                        // mutex_ held; at most once a second

  std::string folder_;
  std::mutex mutex_;
  std::map<std::string, std::string> keks_;  // id → 32 key bytes
  std::string current_;
  std::chrono::steady_clock::time_point current_checked_;
  std::map<std::string, std::string> index_keys_;  // id → 32 key bytes, the files present
  std::string index_current_;
  std::chrono::steady_clock::time_point index_checked_;
};

}  // namespace kijun::server
