#pragma once

// KeyEncryptionKeys kept as files in one folder (mode 0700, files 0600):
//   kek-<id>.key   one key-encryption key each (64 hex digits)
//   current        the id new data keys are wrapped under
//   index.key      the blind-index HMAC key (64 hex digits)
//   rotating       present while `kijun-admin rotate-key` re-wraps data keys
//                  (the id it re-wraps to); lets an interrupted rotation resume
// A folder or key file readable by group or others is refused. The server
// notices a new `current` (written by rotate-key on the running system)
// within a second, and loads a KEK it has not seen when a data key needs it.

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "server/key_encryption_keys.h"

namespace kijun::server {

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
  std::string BlindIndexKey() override;

  // Rotation (kijun-admin rotate-key): a new KEK file, its id.
  std::string CreateKek();
  void SetCurrent(const std::string& id);
  // The interrupted rotation's target, or "".
  std::string RotationTarget() const;
  void SetRotationTarget(const std::string& id);  // "" = rotation finished
  const std::string& folder() const { return folder_; }

 private:
  const std::string& Kek(const std::string& id);  // loads it on first use; mutex_ held
  void ReadCurrent();                             // mutex_ held

  std::string folder_;
  std::mutex mutex_;
  std::map<std::string, std::string> keks_;  // id → 32 key bytes
  std::string current_;
  std::string index_key_;
  std::chrono::steady_clock::time_point current_checked_;
};

}  // namespace kijun::server
