// kijun-admin: the registry operator's tool. Database migrations, the demo
// accounts of the local default, and the current TOTP code of a secret (for
// scripted sign-in in development).

#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "server/audit_trail.h"
#include "server/authorship_verifier.h"
#include "server/db/migrations.h"
#include "server/db/pg.h"
#include "server/demo_seed.h"
#include "server/key_folder.h"
#include "server/key_rotation.h"
#include "server/physician_signature.h"
#include "server/record_keys.h"
#include "server/rules_command.h"
#include "server/totp.h"

namespace {

constexpr const char* kUsage = R"(usage:
  kijun-admin migrate --db CONNINFO              apply the SQL migrations (as the owner)
  kijun-admin seed-demo --db CONNINFO --out FILE [--keys DIR]
                                                 create or reset the demo accounts; write
                                                 their passwords and TOTP secrets to FILE (0600);
                                                 the secrets are stored sealed under DIR's
                                                 key-encryption key (default var/keys, created
                                                 when missing, as kijun-server does)
  kijun-admin totp SECRET                        the current 6-digit code of a TOTP secret
  kijun-admin audit verify --db CONNINFO [--pki DIR]
                                                 check the audit trail's hash chain and its
                                                 checkpoints signed with DIR/server.crt's key
                                                 (default var/pki); exit 1 and name each edited,
                                                 removed or reordered entry
  kijun-admin keys init [--keys DIR]             create the key folder (a first key-encryption
                                                 key and the blind-index key, 0600) for a
                                                 production registry (default var/keys)
  kijun-admin rotate-key --db CONNINFO [--keys DIR] [--batch N] [--throttle-ms N]
                                                 re-wrap every data key under a new
                                                 key-encryption key, online; resumes an
                                                 interrupted rotation (default var/keys)
  kijun-admin rotate-index-key --db CONNINFO [--keys DIR] [--batch N] [--throttle-ms N]
                                                 recompute every patient's blind index under a
                                                 new blind-index key (index-<id>.key), online,
                                                 one row per transaction; look-ups match either
                                                 key meanwhile; resumes an interrupted rotation
  kijun-admin forms verify --db CONNINFO [--keys DIR] [--pki DIR]
                                                 check every confirmed form's proof of
                                                 authorship (content digest, the server's
                                                 signature, the physician's); exit 1 and
                                                 name each form that changed
  kijun-admin rules list|deploy FILE|rollback    rule deployment on a running registry
                                                 (kijun-admin rules for the options)
)";

std::string Option(const std::vector<std::string>& args, const std::string& name) {
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == name) return args[i + 1];
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace kijun::server;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  try {
    if (args[0] == "totp" && args.size() == 2) {
      std::string code = TotpCode(args[1], std::time(nullptr));
      if (code.empty()) {
        std::cerr << "kijun-admin: not a base32 TOTP secret\n";
        return 2;
      }
      std::cout << code << '\n';
      return 0;
    }
    if (args[0] == "rules") return RunRulesCommand({args.begin() + 1, args.end()});
    if (args[0] == "keys" && args.size() >= 2 && args[1] == "init") {
      std::string folder = Option(args, "--keys").empty() ? "var/keys" : Option(args, "--keys");
      if (!KeyFolder::Initialise(folder)) {
        std::cerr << "kijun-admin: 「" << folder << "」はすでにあります。何も変えません / '"
                  << folder << "' exists already; nothing was changed\n";
        return 1;
      }
      KeyFolder check(folder);
      std::cout << "鍵フォルダを作成しました / key folder created: " << folder << " (kek-"
                << check.CurrentId()
                << ".key, index.key). Back it up offline: without it the data cannot be read.\n";
      return 0;
    }
    std::string conninfo = Option(args, "--db");
    if (conninfo.empty()) {
      std::cerr << "kijun-admin: --db CONNINFO is required\n" << kUsage;
      return 2;
    }
    if (args[0] == "audit" && args.size() >= 2 && args[1] == "verify") {
      db::PgConnection owner(conninfo);
      int64_t checked = 0, checkpoints = 0;
      std::string certificate = Option(args, "--pki").empty()
                                    ? std::string("var/pki/server.crt")
                                    : Option(args, "--pki") + "/server.crt";
      ServerSignatureChecker checker(certificate);
      std::vector<AuditFinding> findings = VerifyAuditTrail(owner, &checker, checked, checkpoints);
      for (const auto& f : findings) std::cout << "audit entry " << f.seq << ": " << f.what << '\n';
      if (!findings.empty()) {
        std::cout << "監査記録が改ざんされています / the audit trail was tampered with: "
                  << findings.size() << " problem(s) in " << checked << " entries\n";
        return 1;
      }
      std::cout << "監査記録は完全です / audit trail intact: " << checked << " entries, "
                << checkpoints << " signed checkpoints\n";
      return 0;
    }
    if (args[0] == "forms" && args.size() >= 2 && args[1] == "verify") {
      std::string pki = Option(args, "--pki").empty() ? "var/pki" : Option(args, "--pki");
      KeyFolder keys(Option(args, "--keys").empty() ? std::string("var/keys")
                                                    : Option(args, "--keys"));
      RecordKeys record_keys(keys);
      ServerSignatureChecker server(pki + "/server.crt");
      AuthorshipVerifier verifier(record_keys, server,
                                  StoredPhysicianSignatureCheck(pki + "/ca.crt"));
      db::PgConnection owner(conninfo);
      int64_t checked = 0;
      std::vector<AuthorshipFinding> findings = verifier.VerifyAll(owner, owner, checked);
      for (const auto& f : findings) std::cout << "form " << f.form_id << ": " << f.what << '\n';
      if (!findings.empty()) {
        std::cout << "確定後に変更された臨個票があります / confirmed forms changed: "
                  << findings.size() << " of " << checked << '\n';
        return 1;
      }
      std::cout << "確定済みの臨個票はすべて確定時のままです / every confirmed form is as "
                   "confirmed: "
                << checked << " checked\n";
      return 0;
    }
    if (args[0] == "rotate-key" || args[0] == "rotate-index-key") {
      RotationOptions options;
      if (!Option(args, "--batch").empty()) options.batch = std::stoi(Option(args, "--batch"));
      if (!Option(args, "--throttle-ms").empty()) {
        options.throttle_ms = std::stoi(Option(args, "--throttle-ms"));
      }
      if (!Option(args, "--settle-ms").empty()) {
        options.settle_ms = std::stoi(Option(args, "--settle-ms"));
      }
      KeyFolder keys(Option(args, "--keys").empty() ? std::string("var/keys")
                                                    : Option(args, "--keys"));
      db::PgConnection owner(conninfo);
      if (args[0] == "rotate-index-key") {
        IndexRotationReport report = RotateIndexKey(owner, keys, options, std::cout);
        std::cout << "索引鍵の更新が終わりました / index key rotation finished: every patient's "
                     "blind index is under "
                  << keys.IndexKeyFile(report.index_key) << " (" << report.reindexed
                  << " patients re-indexed by this run)\n";
        for (const auto& id : report.unused) {
          std::cout << "  " << keys.IndexKeyFile(id)
                    << ": もう使われていません / no longer used (archive it offline, then "
                       "remove it from the folder)\n";
        }
        return 0;
      }
      RotationReport report = RotateKeys(owner, keys, options, std::cout);
      std::cout << "鍵の更新が終わりました / rotation finished: every data key is under kek-"
                << report.kek << ".key (" << report.rewrapped << " re-wrapped by this run)\n";
      for (const auto& id : report.unused) {
        std::cout << "  kek-" << id
                  << ".key: もう使われていません / no longer used (archive it offline, then "
                     "remove it from the folder)\n";
      }
      std::cout << "  (the blind-index key is rotated by kijun-admin rotate-index-key)\n";
      return 0;
    }
    if (args[0] == "migrate") {
      db::PgConnection owner(conninfo);
      for (const auto& name : db::ApplyMigrations(owner)) std::cout << "applied " << name << '\n';
      return 0;
    }
    if (args[0] == "seed-demo") {
      std::string out = Option(args, "--out");
      if (out.empty()) {
        std::cerr << "kijun-admin: --out FILE is required\n";
        return 2;
      }
      std::string folder = Option(args, "--keys").empty() ? "var/keys" : Option(args, "--keys");
      KeyFolder::Initialise(folder);  // development, like kijun-server's first start
      KeyFolder keys(folder);
      RecordKeys record_keys(keys);
      db::PgConnection owner(conninfo);
      db::ApplyMigrations(owner);
      nlohmann::ordered_json demo = SeedDemo(owner, record_keys);
      std::ofstream file(out, std::ios::trunc);
      file << demo.dump(2) << '\n';
      file.close();
      if (!file) {
        std::cerr << "kijun-admin: cannot write " << out << '\n';
        return 1;
      }
      std::filesystem::permissions(
          out, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
      std::cout << "demo accounts written to " << out << '\n';
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "kijun-admin: " << e.what() << '\n';
    return 1;
  }
  std::cerr << kUsage;
  return 2;
}
