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
//
// `kijun-admin rotate-index-key`: recomputes every patient's blind index
// under a new blind-index key, the same way. The new index key becomes
// `index-current` first (servers index new patients under it within a
// second; look-ups compute the patient's value under every index key in the
// folder and match any), then each patient row still under an older key is
// re-indexed from its decrypted identity, one row per transaction, and
// records the new key's id. Killed at any point, every row is under the old
// or the new key — both files stay in the folder, so carry-forward still
// finds everyone — and running the command again resumes the same rotation
// (the folder's `index-rotating` file). A row whose identity does not
// decrypt is named and left under its key; the rotation then stays open.

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

struct IndexRotationReport {
  std::string index_key;            // the index key every patient row is under now
  bool resumed = false;             // continued an interrupted rotation
  int64_t reindexed = 0;            // rows re-indexed by this run
  std::vector<std::string> unused;  // index key ids no row uses any more
};

// `options.batch` is the number of rows selected at a time (each still its
// own transaction). Throws, leaving the rotation open to be resumed, when a
// row cannot be re-indexed or rows keep appearing under an older key.
IndexRotationReport RotateIndexKey(db::PgConnection& owner, KeyFolder& keys,
                                   const RotationOptions& options, std::ostream& progress);

// For the server's start: writes which index keys look-ups use, says when an
// index rotation is unfinished, and warns about rows under an index key
// missing from the folder (carry-forward would not find those patients).
// Returns the number of such rows.
int64_t ReportBlindIndexKeys(db::PgConnection& owner, KeyFolder& keys, std::ostream& log);

}  // namespace kijun::server
