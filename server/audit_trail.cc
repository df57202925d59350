#include "server/audit_trail.h"

#include <chrono>
#include <ctime>
#include <map>

#include "dsl/sha256.h"
#include "server/recorded_path.h"

namespace kijun::server {

namespace {

constexpr db::Statement kLock = {"audit_lock", "SELECT pg_advisory_xact_lock(730201)"};
constexpr db::Statement kLast = {"audit_last",
                                 "SELECT seq, hash FROM audit.entries ORDER BY seq DESC LIMIT 1"};
constexpr db::Statement kInsert = {
    "audit_insert",
    "INSERT INTO audit.entries (seq, at, actor, terminal, remote, action, status, prev_hash, hash)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"};
constexpr db::Statement kAll = {
    "audit_all",
    "SELECT seq, at, actor, terminal, remote, action, status, prev_hash, hash"
    " FROM audit.entries ORDER BY seq"};

constexpr db::Statement kInsertCheckpoint = {
    "audit_insert_checkpoint",
    "INSERT INTO audit.checkpoints (seq, hash, at, signature) VALUES ($1, $2, $3, $4)"};
constexpr db::Statement kCheckpoints = {
    "audit_checkpoints", "SELECT seq, hash, at, signature FROM audit.checkpoints ORDER BY seq"};

void Field(std::string& out, const std::string& value) {
  out += std::to_string(value.size());
  out += ':';
  out += value;
  out += '\n';
}

std::string NowUtc() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  char full[48];
  std::snprintf(full, sizeof full, "%s.%03dZ", text, static_cast<int>(ms));
  return full;
}

bool StartsWith(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

// The action as recorded (the access key in a path as a digest).
std::string RecordedAction(const std::string& method, const std::string& path) {
  return method + " " + RecordedPath(path);
}

}  // namespace

std::string AuditHash(const AuditEntry& e) {
  std::string data;
  Field(data, "kijun-audit/1");
  Field(data, e.prev_hash);
  Field(data, std::to_string(e.seq));
  Field(data, e.at);
  Field(data, e.actor);
  Field(data, e.terminal);
  Field(data, e.remote);
  Field(data, e.action);
  Field(data, std::to_string(e.status));
  return dsl::Sha256Hex(data);
}

bool IsAudited(const std::string& method, const std::string& path) {
  if (path == "/health" || path == "/check") return false;
  if (method == "GET" && StartsWith(path, "/diseases")) return false;
  return true;
}

void AuditTrail::Append(const ApiRequest& request, const std::string& actor, int status) {
  AuditEntry e;
  e.at = NowUtc();
  e.actor = actor;
  e.terminal = request.terminal.serial;
  e.remote = request.remote;
  e.action = RecordedAction(request.method, request.path);
  e.status = status;
  registry_.With([&](db::PgConnection& c) {
    db::Transaction t(c);
    c.Run(kLock);
    db::PgResult last = c.Run(kLast);
    e.seq = last.rows() == 0 ? 1 : last.Int(0, 0) + 1;
    e.prev_hash = last.rows() == 0 ? "" : last.Text(0, 1);
    e.hash = AuditHash(e);
    c.Run(kInsert, {std::to_string(e.seq), e.at, e.actor, e.terminal, e.remote, e.action,
                    std::to_string(e.status), e.prev_hash, e.hash});
    if (CheckpointDue(e.seq)) {
      c.Run(kInsertCheckpoint, {std::to_string(e.seq), e.hash, e.at,
                                signer_->Sign(CheckpointText(e.seq, e.hash, e.at))});
    }
    t.Commit();
  });
}

bool AuditTrail::CheckpointDue(int64_t seq) {
  if (signer_ == nullptr) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  if (checkpointed_ && seq % kCheckpointEvery != 0 && now - last_checkpoint_ < kCheckpointAfter) {
    return false;
  }
  checkpointed_ = true;
  last_checkpoint_ = now;
  return true;
}

std::vector<AuditFinding> VerifyAuditTrail(db::PgConnection& connection,
                                           const ServerSignatureChecker* checker, int64_t& checked,
                                           int64_t& checkpoints) {
  std::vector<AuditFinding> findings;
  std::map<int64_t, std::string> hashes;  // seq -> stored hash, for the checkpoints
  db::PgResult r = connection.Run(kAll);
  checked = r.rows();
  int64_t expected_seq = 1;
  std::string previous_hash;
  for (int row = 0; row < r.rows(); ++row) {
    AuditEntry e;
    e.seq = r.Int(row, 0);
    e.at = r.Text(row, 1);
    e.actor = r.Text(row, 2);
    e.terminal = r.Text(row, 3);
    e.remote = r.Text(row, 4);
    e.action = r.Text(row, 5);
    e.status = static_cast<int>(r.Int(row, 6));
    e.prev_hash = r.Text(row, 7);
    e.hash = r.Text(row, 8);
    std::string n = std::to_string(e.seq);
    if (e.seq != expected_seq) {
      std::string from = std::to_string(expected_seq), to = std::to_string(e.seq - 1);
      findings.push_back({expected_seq, "記録 " + from + "〜" + to +
                                            " が削除されています / entries " + from + " to " + to +
                                            " were removed"});
    } else if (e.prev_hash != previous_hash) {
      findings.push_back(
          {e.seq, "記録 " + n +
                      " の前の記録との連鎖が切れています (並べ替えまたは差し替え) / entry " + n +
                      " does not follow its predecessor (reordered or replaced)"});
    }
    if (AuditHash(e) != e.hash) {
      findings.push_back({e.seq, "記録 " + n + " の内容が書き換えられています / entry " + n +
                                     " was edited (its content does not match its hash)"});
    }
    expected_seq = e.seq + 1;
    previous_hash = e.hash;
    hashes[e.seq] = e.hash;
  }
  checkpoints = 0;
  if (checker == nullptr) return findings;
  db::PgResult cp = connection.Run(kCheckpoints);
  for (int row = 0; row < cp.rows(); ++row) {
    ++checkpoints;
    int64_t seq = cp.Int(row, 0);
    std::string hash = cp.Text(row, 1), at = cp.Text(row, 2), n = std::to_string(seq);
    if (!checker->Verify(CheckpointText(seq, hash, at), cp.Text(row, 3))) {
      findings.push_back({seq, "記録 " + n +
                                   " の署名付きチェックポイントの署名が正しくありません / the "
                                   "signed checkpoint at entry " +
                                   n + " has a bad signature"});
      continue;
    }
    auto it = hashes.find(seq);
    if (it == hashes.end() || it->second != hash) {
      findings.push_back({seq, "記録 " + n +
                                   " までが書き換えられています "
                                   "(署名付きチェックポイントと一致しません) / entries up to " +
                                   n +
                                   " were rewritten (they no longer match the signed checkpoint)"});
    }
  }
  return findings;
}

}  // namespace kijun::server
