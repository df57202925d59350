#pragma once

// The tamper-evident audit trail: one entry per request that touches
// patient data, accounts or rules — who (login and terminal certificate),
// what (method and path, which names the form or patient by its internal
// id, never by name), when, from where, and the result (HTTP status). The
// entries form a SHA-256 hash chain over a gap-free sequence number, so
// `Verify` finds any entry edited, removed or reordered. The application's
// database role may only insert and read them (migration 003).

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "server/api.h"
#include "server/db/pg.h"
#include "server/db/pg_pool.h"
#include "server/server_signer.h"

namespace kijun::server {

struct AuditEntry {
  int64_t seq = 0;
  std::string at, actor, terminal, remote, action;
  int status = 0;
  std::string prev_hash, hash;
};

// The hash an entry must carry: SHA-256 (hex) over its predecessor's hash
// and its own fields, each length-prefixed so no field can run into the next.
std::string AuditHash(const AuditEntry& entry);

// Whether a request is recorded. The instant check (no storage, no patient
// identity), health and the public disease list and form schemas are not.
bool IsAudited(const std::string& method, const std::string& path);

class AuditTrail {
 public:
  // With a signer, the trail gets a signed checkpoint with the first entry
  // after start, then every kCheckpointEvery entries or kCheckpointAfter,
  // whichever comes first.
  AuditTrail(db::PgPool& registry, const ServerSigner* signer)
      : registry_(registry), signer_(signer) {}

  static constexpr int64_t kCheckpointEvery = 100;
  static constexpr std::chrono::minutes kCheckpointAfter{10};

  // Appends the entry for a handled request (serialised by a transaction-
  // scoped advisory lock, so the chain has one order). Throws db::PgError
  // when the database is unreachable.
  void Append(const ApiRequest& request, const std::string& actor, int status);

 private:
  bool CheckpointDue(int64_t seq);

  db::PgPool& registry_;
  const ServerSigner* signer_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_checkpoint_{};
  bool checkpointed_ = false;
};

struct AuditFinding {
  int64_t seq = 0;
  std::string what;  // bilingual, names the entry and what is wrong with it
};

// Walks the whole chain in order and reports every break: an entry whose
// hash does not match its content (edited), a gap in the sequence (removed),
// an entry whose prev_hash is not its predecessor's hash (reordered or a
// predecessor removed). With a checker, also every signed checkpoint: its
// signature, and that the entry it signed still has the hash it signed (a
// chain rewritten consistently fails here). `checked` is set to the number
// of entries read, `checkpoints` to the number of checkpoints checked.
std::vector<AuditFinding> VerifyAuditTrail(db::PgConnection& connection,
                                           const ServerSignatureChecker* checker, int64_t& checked,
                                           int64_t& checkpoints);

}  // namespace kijun::server
