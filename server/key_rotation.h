#pragma once

// `kijun-admin rotate-key`: re-wraps every record's data key (the three
// tiers' and those of the accounts' TOTP secrets) under a new key-encryption
// key while the registry runs. The new KEK becomes `current` first (the
// server wraps new data keys with it within a second), then the
// data keys still under older KEKs are re-wrapped in small batches, each
// batch one transaction. Killed at any point, every data key is under either
// the old or the new KEK — both files stay in the folder — and running the
// command again resumes the same rotation (the folder's `rotating` file).
// The data itself is never re-encrypted: only the wrapped data keys change.

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "server/db/pg.h"
#include "server/key_folder.h"

namespace kijun::server {

struct RotationOptions {
  int batch = 100;       // data keys per transaction
  int throttle_ms = 0;   // pause between batches (to spare a busy database)
  int settle_ms = 2000;  // for running servers to take up the new KEK
};

struct RotationReport {
  std::string kek;                  // the KEK every data key is under now
  bool resumed = false;             // continued an interrupted rotation
  int64_t rewrapped = 0;            // by this run
  std::vector<std::string> unused;  // KEK ids no data key uses any more
};

RotationReport RotateKeys(db::PgConnection& owner, KeyFolder& keys, const RotationOptions& options,
                          std::ostream& progress);

}  // namespace kijun::server
