#include "server/demo_seed.h"

#include <openssl/rand.h>

#include <stdexcept>

#include "server/password_hash.h"
#include "server/sealed_totp_secret.h"
#include "server/totp.h"

namespace kijun::server {

namespace {

constexpr db::Statement kInstitution = {
    "seed_institution",
    "INSERT INTO registry.institutions (code, name) VALUES ($1, $2)"
    " ON CONFLICT (code) DO UPDATE SET name = excluded.name RETURNING id"};
constexpr db::Statement kMunicipality = {
    "seed_municipality",
    "INSERT INTO registry.municipalities (code, name) VALUES ($1, $2)"
    " ON CONFLICT (code) DO UPDATE SET name = excluded.name RETURNING id"};
// An account keeps its row (and id) when reset: its new secret is sealed
// for that id, and the data key of the secret it replaces is dropped.
constexpr db::Statement kExistingUser = {
    "seed_existing_user", "SELECT id, data_key_id FROM registry.users WHERE login = $1"};
constexpr db::Statement kNextUserId = {"seed_next_user_id",
                                       "SELECT nextval('registry.users_id_seq')"};
constexpr db::Statement kUser = {
    "seed_user",
    "INSERT INTO registry.users (id, login, display_name, role, institution_id, municipality_id,"
    " designation_number, password_hash, data_key_id, totp_secret_sealed)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::bytea)"
    " ON CONFLICT (login) DO UPDATE SET password_hash = excluded.password_hash,"
    " data_key_id = excluded.data_key_id, totp_secret_sealed = excluded.totp_secret_sealed,"
    " totp_secret = NULL, totp_last_step = 0, failed_logins = 0, locked = false"};
constexpr db::Statement kDropDataKey = {"seed_drop_data_key",
                                        "DELETE FROM registry.data_keys WHERE id = $1"};

std::string NewPassword() {
  static const char* kAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  std::string out;
  for (unsigned char b : bytes) out += kAlphabet[b % 56];
  return out;
}

struct DemoUser {
  const char* login;
  const char* name;
  const char* role;
  int institution;   // 0 none, 1 or 2
  int municipality;  // 0 none, 1 or 2
  const char* designation;
  bool totp;
};

constexpr DemoUser kUsers[] = {
    {"dr.sato", "佐藤 一郎 (指定医)", "physician", 1, 0, "13-0001", true},
    {"clerk.suzuki", "鈴木 花子 (医療事務)", "clerk", 1, 0, nullptr, false},
    {"admin.tanaka", "田中 次郎 (医療機関管理者)", "institution_admin", 1, 0, nullptr, true},
    {"city.yamada", "山田 三郎 (千代田区 審査)", "municipality_reviewer", 0, 1, nullptr, true},
    {"ops.ito", "伊藤 四郎 (運用者)", "operator", 0, 0, nullptr, true},
    {"analyst.kato", "加藤 五郎 (国DB 分析)", "analyst", 0, 0, nullptr, false},
    {"dr.other", "高橋 六郎 (別の医療機関の指定医)", "physician", 2, 0, "27-0002", true},
    {"city.other", "中村 七子 (大阪市 審査)", "municipality_reviewer", 0, 2, nullptr, true},
};

}  // namespace

nlohmann::ordered_json SeedDemo(db::PgConnection& owner, RecordKeys& keys) {
  db::Transaction tx(owner);
  std::string institutions[3], municipalities[3];
  institutions[1] = owner.Run(kInstitution, {"1310000001", "Kijun デモ病院"}).Text(0, 0);
  institutions[2] = owner.Run(kInstitution, {"2710000002", "Kijun 第二デモ病院"}).Text(0, 0);
  municipalities[1] = owner.Run(kMunicipality, {"131016", "千代田区"}).Text(0, 0);
  municipalities[2] = owner.Run(kMunicipality, {"271004", "大阪市"}).Text(0, 0);
  nlohmann::ordered_json users = nlohmann::ordered_json::array();
  for (const DemoUser& u : kUsers) {
    std::string password = NewPassword();
    db::Param secret;
    if (u.totp) secret = NewTotpSecret();
    db::Param institution, municipality, designation;
    if (u.institution > 0) institution = institutions[u.institution];
    if (u.municipality > 0) municipality = municipalities[u.municipality];
    if (u.designation != nullptr) designation = u.designation;
    db::PgResult existing = owner.Run(kExistingUser, {u.login});
    int64_t id = existing.rows() > 0 ? existing.Int(0, 0) : owner.Run(kNextUserId).Int(0, 0);
    db::Param data_key, sealed;
    if (secret) {
      SealedTotpSecret s = SealTotpSecret(owner, keys, id, *secret);
      data_key = std::to_string(s.data_key_id);
      sealed = std::move(s.sealed);
    }
    owner.Run(kUser, {std::to_string(id), u.login, u.name, u.role, institution, municipality,
                      designation, HashPassword(password), data_key, sealed});
    if (existing.rows() > 0 && !existing.IsNull(0, 1)) {
      owner.Run(kDropDataKey, {existing.Text(0, 1)});
    }
    nlohmann::ordered_json j;
    j["login"] = u.login;
    j["password"] = password;
    j["totp_secret"] = secret ? nlohmann::ordered_json(*secret) : nullptr;
    j["role"] = u.role;
    j["name"] = u.name;
    if (u.institution > 0) j["institution"] = u.institution == 1 ? "1310000001" : "2710000002";
    if (u.municipality > 0) j["municipality"] = u.municipality == 1 ? "131016" : "271004";
    users.push_back(j);
  }
  tx.Commit();
  return {{"users", users}};
}

}  // namespace kijun::server
