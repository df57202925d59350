#include "server/workflow_service.h"

#include <charconv>
#include <set>

#include "dsl/calendar.h"
#include "dsl/sha256.h"
#include "engine/judgment_render.h"
#include "server/access_key.h"
#include "server/print_view.h"

namespace kijun::server {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

// ------------------------------------------------------------------ SQL

constexpr db::Statement kInsertPatient = {
    "wf_insert_patient",
    "INSERT INTO institution.patients"
    " (institution_id, name, kana, birth_date, sex, insurance_number, created_by)"
    " VALUES ($1, $2, $3, $4::date, $5, $6, $7) RETURNING id"};
constexpr db::Statement kPatient = {
    "wf_patient",
    "SELECT id, institution_id, name, kana, to_char(birth_date, 'YYYY-MM-DD'), sex,"
    " insurance_number FROM institution.patients WHERE id = $1"};
constexpr db::Statement kInsertForm = {
    "wf_insert_form",
    "INSERT INTO institution.forms (institution_id, patient_id, disease, variant, items,"
    " form_date, carried_from, carried_items, created_by, updated_by)"
    " VALUES ($1, $2, $3, $4, $5::jsonb, $6::date, $7, $8::text[], $9, $9) RETURNING id"};
constexpr db::Statement kForm = {
    "wf_form",
    "SELECT id, institution_id, patient_id, disease, variant, status, items::text,"
    " to_char(form_date, 'YYYY-MM-DD'), version, municipality_code, rule_hash, judgment::text,"
    " content_digest, access_key, confirmed_by, carried_from, array_to_json(carried_items)::text"
    " FROM institution.forms WHERE id = $1"};
constexpr db::Statement kLastConfirmed = {
    "wf_last_confirmed",
    "SELECT id, items::text FROM institution.forms WHERE patient_id = $1 AND disease = $2"
    " AND status = 'confirmed' ORDER BY confirmed_at DESC LIMIT 1"};
constexpr db::Statement kUpdateDraft = {
    "wf_update_draft",
    "UPDATE institution.forms SET items = $2::jsonb, form_date = $3::date,"
    " municipality_code = $4, carried_items = $5::text[], version = version + 1,"
    " updated_by = $6, updated_at = now()"
    " WHERE id = $1 AND version = $7 AND status = 'draft' RETURNING version"};
constexpr db::Statement kConfirm = {
    "wf_confirm",
    "UPDATE institution.forms SET status = 'confirmed', rule_hash = $2, judgment = $3::jsonb,"
    " content_digest = $4, access_key = $5, confirmed_by = $6, confirmed_at = now(),"
    " form_date = $7::date, version = version + 1, updated_by = $6, updated_at = now()"
    " WHERE id = $1 AND version = $8 AND status = 'draft' RETURNING version"};
constexpr db::Statement kInsertComment = {
    "wf_insert_comment",
    "INSERT INTO institution.comments (form_id, item, body, author_id) VALUES ($1, $2, $3, $4)"
    " RETURNING id"};
constexpr db::Statement kComments = {
    "wf_comments",
    "SELECT id, item, body, author_id,"
    " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM institution.comments WHERE form_id = $1 ORDER BY id"};
constexpr db::Statement kFormByKey = {"wf_form_by_key",
                                      "SELECT id FROM institution.forms WHERE access_key = $1"};
constexpr db::Statement kInstitutionCode = {
    "wf_institution_code", "SELECT code, name FROM registry.institutions WHERE id = $1"};
constexpr db::Statement kDesignation = {
    "wf_designation",
    "SELECT coalesce(designation_number, ''), display_name FROM registry.users WHERE id = $1"};
constexpr db::Statement kInsertApplication = {
    "wf_insert_application",
    "INSERT INTO municipality.applications (access_key, municipality_code, disease, patient,"
    " items, judgment, rule_hash, content_digest, institution_code, physician_designation,"
    " received_by) VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb, $7, $8, $9, $10, $11)"
    " ON CONFLICT (access_key) DO NOTHING"};
constexpr db::Statement kApplication = {
    "wf_application",
    "SELECT access_key, municipality_code, disease, patient::text, items::text, judgment::text,"
    " rule_hash, content_digest, institution_code, physician_designation,"
    " to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), decision,"
    " decision_reason, to_char(valid_from, 'YYYY-MM-DD'), to_char(valid_until, 'YYYY-MM-DD'),"
    " consent FROM municipality.applications WHERE access_key = $1"};
constexpr db::Statement kDecide = {
    "wf_decide",
    "UPDATE municipality.applications SET decision = $2, decision_reason = $3, decided_by = $4,"
    " decided_at = now(),"
    " valid_from = CASE WHEN $2 = 'certified' THEN current_date END,"
    " valid_until = CASE WHEN $2 = 'certified'"
    "   THEN (current_date + interval '1 year' - interval '1 day')::date END"
    " WHERE access_key = $1 AND municipality_code = $5 AND decision IS NULL"};
constexpr db::Statement kConsent = {
    "wf_consent",
    "UPDATE municipality.applications SET consent = true, consent_at = coalesce(consent_at, now())"
    " WHERE access_key = $1 AND municipality_code = $2"};
constexpr db::Statement kInsertRegistration = {
    "wf_insert_registration",
    "INSERT INTO national.registrations (access_key, disease, birth_year_month, sex, items,"
    " judgment, rule_hash, municipality_code) VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8)"
    " ON CONFLICT (access_key) DO NOTHING"};
constexpr db::Statement kRegistrations = {
    "wf_registrations",
    "SELECT access_key, disease, birth_year_month, sex, judgment::text, rule_hash,"
    " municipality_code, to_char(registered_at AT TIME ZONE 'UTC',"
    " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM national.registrations"
    " WHERE $1::text IS NULL OR disease = $1 ORDER BY id LIMIT 1000"};

// ------------------------------------------------------------------ rows

struct Patient {
  int64_t id = 0;
  int64_t institution_id = 0;
  std::string name, kana, birth_date, sex;
  std::optional<std::string> insurance_number;

  json ToJson() const {
    json j = {{"id", id}, {"name", name}, {"kana", kana}, {"birth_date", birth_date}, {"sex", sex}};
    j["insurance_number"] = insurance_number ? json(*insurance_number) : json(nullptr);
    return j;
  }
};

struct Form {
  int64_t id = 0;
  int64_t institution_id = 0;
  int64_t patient_id = 0;
  std::string disease, variant, status;
  json items;
  std::optional<std::string> date;
  int64_t version = 0;
  std::optional<std::string> municipality, rule_hash, judgment, digest, access_key;
  int64_t confirmed_by = 0;
  std::optional<int64_t> carried_from;
  std::vector<std::string> carried_items;
};

Patient PatientFrom(const db::PgResult& r) {
  return {r.Int(0, 0),  r.Int(0, 1),  r.Text(0, 2),    r.Text(0, 3),
          r.Text(0, 4), r.Text(0, 5), r.Optional(0, 6)};
}

Form FormFrom(const db::PgResult& r) {
  Form f;
  f.id = r.Int(0, 0);
  f.institution_id = r.Int(0, 1);
  f.patient_id = r.Int(0, 2);
  f.disease = r.Text(0, 3);
  f.variant = r.Text(0, 4);
  f.status = r.Text(0, 5);
  f.items = json::parse(r.Text(0, 6));
  f.date = r.Optional(0, 7);
  f.version = r.Int(0, 8);
  f.municipality = r.Optional(0, 9);
  f.rule_hash = r.Optional(0, 10);
  f.judgment = r.Optional(0, 11);
  f.digest = r.Optional(0, 12);
  f.access_key = r.Optional(0, 13);
  f.confirmed_by = r.IsNull(0, 14) ? 0 : r.Int(0, 14);
  if (!r.IsNull(0, 15)) f.carried_from = r.Int(0, 15);
  const json carried = json::parse(r.Text(0, 16));
  for (const auto& item : carried) f.carried_items.push_back(item.get<std::string>());
  return f;
}

ordered_json FormToJson(const Form& f) {
  ordered_json j;
  j["id"] = f.id;
  j["patient_id"] = f.patient_id;
  j["disease"] = f.disease;
  j["variant"] = f.variant;
  j["status"] = f.status;
  j["version"] = f.version;
  j["date"] = f.date ? ordered_json(*f.date) : nullptr;
  j["municipality"] = f.municipality ? ordered_json(*f.municipality) : nullptr;
  j["items"] = f.items;
  j["carried_from"] = f.carried_from ? ordered_json(*f.carried_from) : nullptr;
  j["carried_items"] = f.carried_items;
  if (f.status == "confirmed") {
    j["access_key"] = *f.access_key;
    j["content_digest"] = *f.digest;
    j["rule_hash"] = *f.rule_hash;
    j["judgment"] = ordered_json::parse(*f.judgment);
  }
  return j;
}

ordered_json OrNull(const db::PgResult& r, int row, int column) {
  return r.IsNull(row, column) ? ordered_json(nullptr) : ordered_json(r.Text(row, column));
}

std::string PgArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

// ------------------------------------------------------------------ input

int64_t IdParam(const ApiRequest& request, const std::string& name) {
  const std::string& text = request.params.at(name);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) {
    throw ApiError(400, "bad_id", "「" + text + "」は番号ではありません",
                   "'" + text + "' is not an id", "/" + name);
  }
  return value;
}

int64_t RequireId(const json& body, const std::string& name) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_number_integer() || it->get<int64_t>() <= 0) {
    throw ApiError(400, it == body.end() ? "missing_field" : "wrong_type",
                   "「" + name + "」は正の整数にしてください",
                   "\"" + name + "\" must be a positive integer", "/" + name);
  }
  return it->get<int64_t>();
}

std::optional<std::string> OptionalDate(const json& body, const std::string& name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string() || !dsl::ParseDate(it->get<std::string>())) {
    throw ApiError(400, "bad_date", "「" + name + "」は実在する日付 YYYY-MM-DD にしてください",
                   "\"" + name + "\" must be a real date YYYY-MM-DD", "/" + name);
  }
  return it->get<std::string>();
}

std::optional<std::string> OptionalString(const json& body, const std::string& name,
                                          size_t max_length = 200) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  return RequireString(body, name, max_length);
}

ApiError NotFound(const std::string& what_ja, const std::string& what_en) {
  return ApiError(404, "not_found", what_ja + "がありません", "no such " + what_en);
}

std::string Today() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
  return text;
}

// Refuses item names the disease's form does not have.
void RequireKnownItems(const engine::ir::RuleSet& rules, const json& items) {
  for (const auto& [name, value] : items.items()) {
    if (rules.FindItem(name) < 0) {
      throw ApiError(400, "unknown_item",
                     "「" + name + "」はこの疾病の様式にない項目です (" + rules.name_ja + ")",
                     "'" + name + "' is not an item of this disease's form", "/items/" + name);
    }
  }
}

// What the digest covers: the form as confirmed, its patient, the rule
// version and who confirmed it; serialised with sorted keys.
std::string ContentDigest(const Form& f, const Patient& p, const std::string& date,
                          const std::string& rule_hash, const std::string& institution,
                          const std::string& physician) {
  json canonical = {{"disease", f.disease},       {"variant", f.variant},  {"date", date},
                    {"items", f.items},           {"patient", p.ToJson()}, {"rule_hash", rule_hash},
                    {"institution", institution}, {"physician", physician}};
  canonical["patient"].erase("id");
  return "sha256:" + dsl::Sha256Hex(canonical.dump());
}

}  // namespace

void WorkflowService::Register(Router& router) {
  router.Add("POST", "/check", [this](ApiRequest& r) { return CheckAs(r); });
  router.Add("POST", "/patients", [this](ApiRequest& r) { return CreatePatient(r); });
  router.Add("GET", "/patients/{id}", [this](ApiRequest& r) { return GetPatient(r); });
  router.Add("POST", "/forms", [this](ApiRequest& r) { return CreateForm(r); });
  router.Add("GET", "/forms/{id}", [this](ApiRequest& r) { return GetForm(r); });
  router.Add("PUT", "/forms/{id}", [this](ApiRequest& r) { return EditForm(r); });
  router.Add("POST", "/forms/{id}/comments", [this](ApiRequest& r) { return AddComment(r); });
  router.Add("GET", "/forms/{id}/comments", [this](ApiRequest& r) { return ListComments(r); });
  router.Add("POST", "/forms/{id}/check", [this](ApiRequest& r) { return CheckForm(r); });
  router.Add("POST", "/forms/{id}/confirm", [this](ApiRequest& r) { return ConfirmForm(r); });
  router.Add("GET", "/forms/{id}/print", [this](ApiRequest& r) { return PrintForm(r); });
  router.Add("POST", "/applications", [this](ApiRequest& r) { return ReceiveApplication(r); });
  router.Add("GET", "/applications/{key}", [this](ApiRequest& r) { return GetApplication(r); });
  router.Add("POST", "/applications/{key}/decision",
             [this](ApiRequest& r) { return DecideApplication(r); });
  router.Add("POST", "/applications/{key}/consent",
             [this](ApiRequest& r) { return RecordConsent(r); });
  router.Add("GET", "/national/registrations",
             [this](ApiRequest& r) { return ListRegistrations(r); });
}

ApiResponse WorkflowService::CheckAs(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kPhysician, Role::kClerk, Role::kInstitutionAdmin});
  json form = ParseJsonObject(request.body);
  RulesInUse rules;
  engine::Judgment judgment = check_.Judge(form, rules);
  return {200, engine::JudgmentToJson(*rules, judgment), "", ""};
}

// ------------------------------------------------------------------ patients

ApiResponse WorkflowService::CreatePatient(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kPhysician, Role::kClerk, Role::kInstitutionAdmin});
  json body = ParseJsonObject(request.body);
  std::string name = RequireString(body, "name", 200);
  std::string kana = RequireString(body, "kana", 200);
  std::optional<std::string> birth = OptionalDate(body, "birth_date");
  if (!birth) {
    throw ApiError(400, "missing_field", "「birth_date」がありません", "missing \"birth_date\"",
                   "/birth_date");
  }
  std::string sex = RequireString(body, "sex", 10);
  if (sex != "男" && sex != "女") {
    throw ApiError(400, "bad_value", "「sex」は \"男\" か \"女\" にしてください",
                   "\"sex\" must be \"男\" or \"女\"", "/sex");
  }
  std::optional<std::string> insurance = OptionalString(body, "insurance_number", 40);
  int64_t id = tiers_.institution.With([&](db::PgConnection& c) {
    return c
        .Run(kInsertPatient, {std::to_string(user.institution_id), name, kana, *birth, sex,
                              insurance, std::to_string(user.id)})
        .Int(0, 0);
  });
  return {201, {{"id", id}}, "", ""};
}

ApiResponse WorkflowService::GetPatient(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kPhysician, Role::kClerk, Role::kInstitutionAdmin});
  int64_t id = IdParam(request, "id");
  return tiers_.institution.With([&](db::PgConnection& c) -> ApiResponse {
    db::PgResult r = c.Run(kPatient, {std::to_string(id)});
    if (r.rows() == 0 || r.Int(0, 1) != user.institution_id) throw NotFound("患者", "patient");
    return {200, PatientFrom(r).ToJson(), "", ""};
  });
}

// ------------------------------------------------------------------ forms

ApiResponse WorkflowService::CreateForm(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kPhysician, Role::kClerk, Role::kInstitutionAdmin});
  json body = ParseJsonObject(request.body);
  int64_t patient_id = RequireId(body, "patient_id");
  std::string disease = RequireString(body, "disease", 100);
  std::string variant = RequireString(body, "variant", 20);
  std::optional<std::string> date = OptionalDate(body, "date");
  bool carry = false;
  if (auto it = body.find("carry_forward"); it != body.end()) {
    if (!it->is_boolean()) {
      throw ApiError(400, "wrong_type", "「carry_forward」は true か false にしてください",
                     "\"carry_forward\" must be true or false", "/carry_forward");
    }
    carry = it->get<bool>();
  }
  RulesInUse rules = check_.Find(disease, date ? dsl::ParseDate(*date) : std::nullopt);
  if (!rules->variants.empty() &&
      std::find(rules->variants.begin(), rules->variants.end(), variant) == rules->variants.end()) {
    throw ApiError(400, "bad_variant", "様式の区分「" + variant + "」はこの疾病にありません",
                   "no form variant '" + variant + "' for this disease", "/variant");
  }
  return tiers_.institution.With([&](db::PgConnection& c) -> ApiResponse {
    db::Transaction tx(c);
    db::PgResult p = c.Run(kPatient, {std::to_string(patient_id)});
    if (p.rows() == 0 || p.Int(0, 1) != user.institution_id) throw NotFound("患者", "patient");
    Patient patient = PatientFrom(p);
    json items = json::object();
    std::vector<std::string> carried;
    db::Param carried_from;
    if (carry) {
      db::PgResult last = c.Run(kLastConfirmed, {std::to_string(patient_id), disease});
      if (last.rows() == 0) {
        throw ApiError(404, "nothing_to_carry",
                       "この患者のこの疾病の確定済みの前回の臨個票がありません",
                       "no earlier confirmed form of this patient for this disease");
      }
      carried_from = last.Text(0, 0);
      const json previous = json::parse(last.Text(0, 1));
      for (const auto& [name, value] : previous.items()) {
        if (rules->FindItem(name) < 0) continue;  // items the current version no longer has
        items[name] = value;
        carried.push_back(name);
      }
    }
    // The patient's sex and birth date fill the form's items of those names.
    if (rules->FindItem("性別") >= 0) items["性別"] = patient.sex;
    if (rules->FindItem("生年月日") >= 0) items["生年月日"] = patient.birth_date;
    int64_t id = c.Run(kInsertForm, {std::to_string(user.institution_id),
                                     std::to_string(patient_id), disease, variant, items.dump(),
                                     date, carried_from, PgArray(carried), std::to_string(user.id)})
                     .Int(0, 0);
    Form form = FormFrom(c.Run(kForm, {std::to_string(id)}));
    tx.Commit();
    ordered_json out = FormToJson(form);
    out["schema"] = "/diseases/" + disease + "/form";
    return {201, out, "", ""};
  });
}

ApiResponse WorkflowService::GetForm(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kPhysician, Role::kClerk, Role::kInstitutionAdmin});
  int64_t id = IdParam(request, "id");
  return tiers_.institution.With([&](db::PgConnection& c) -> ApiResponse {
    db::PgResult r = c.Run(kForm, {std::to_string(id)});
    if (r.rows() == 0 || r.Int(0, 1) != user.institution_id) throw NotFound("臨個票", "form");
    return {200, FormToJson(FormFrom(r)), "", ""};
  });
}

ApiResponse WorkflowService::EditForm(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kPhysician, Role::kClerk, Role::kInstitutionAdmin});
  int64_t id = IdParam(request, "id");
  json body = ParseJsonObject(request.body);
  int64_t version = RequireId(body, "version");
  auto items = body.find("items");
  if (items == body.end() || !items->is_object()) {
    throw ApiError(400, items == body.end() ? "missing_field" : "wrong_type",
                   "「items」は項目名をキーとするオブジェクトにしてください",
                   "\"items\" must be an object keyed by item name", "/items");
  }
  std::optional<std::string> date = OptionalDate(body, "date");
  std::optional<std::string> municipality = OptionalString(body, "municipality", 20);
  return tiers_.institution.With([&](db::PgConnection& c) -> ApiResponse {
    db::Transaction tx(c);
    db::PgResult r = c.Run(kForm, {std::to_string(id)});
    if (r.rows() == 0 || r.Int(0, 1) != user.institution_id) throw NotFound("臨個票", "form");
    Form form = FormFrom(r);
    if (form.status != "draft") {
      throw ApiError(409, "form_confirmed", "確定済みの臨個票は変更できません",
                     "a confirmed form cannot be changed");
    }
    if (form.version != version) {
      throw ApiError(409, "version_conflict",
                     "ほかの人が先に更新しました。読み直してから編集してください (現在の版 " +
                         std::to_string(form.version) + ")",
                     "the form was changed by someone else; reload it (version " +
                         std::to_string(form.version) + ")",
                     "/version");
    }
    RequireKnownItems(*check_.Find(form.disease, std::nullopt), *items);
    // An item stays "carried" while its value is the one carried forward.
    std::vector<std::string> carried;
    for (const auto& name : form.carried_items) {
      auto now = items->find(name);
      auto before = form.items.find(name);
      if (now != items->end() && before != form.items.end() && *now == *before) {
        carried.push_back(name);
      }
    }
    db::PgResult u =
        c.Run(kUpdateDraft, {std::to_string(id), items->dump(), date ? date : form.date,
                             municipality ? municipality : form.municipality, PgArray(carried),
                             std::to_string(user.id), std::to_string(version)});
    if (u.rows() == 0) {
      throw ApiError(409, "version_conflict", "ほかの人が先に更新しました",
                     "the form was changed by someone else", "/version");
    }
    Form saved = FormFrom(c.Run(kForm, {std::to_string(id)}));
    tx.Commit();
    return {200, FormToJson(saved), "", ""};
  });
}

ApiResponse WorkflowService::AddComment(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kPhysician, Role::kClerk, Role::kInstitutionAdmin});
  int64_t id = IdParam(request, "id");
  json body = ParseJsonObject(request.body);
  std::string text = RequireString(body, "body", 4000);
  std::optional<std::string> item = OptionalString(body, "item", 200);
  return tiers_.institution.With([&](db::PgConnection& c) -> ApiResponse {
    db::Transaction tx(c);
    db::PgResult r = c.Run(kForm, {std::to_string(id)});
    if (r.rows() == 0 || r.Int(0, 1) != user.institution_id) throw NotFound("臨個票", "form");
    if (item) {
      RulesInUse rules = check_.Find(r.Text(0, 3), std::nullopt);
      if (rules->FindItem(*item) < 0) {
        throw ApiError(400, "unknown_item", "「" + *item + "」はこの疾病の様式にない項目です",
                       "'" + *item + "' is not an item of this disease's form", "/item");
      }
    }
    int64_t comment =
        c.Run(kInsertComment, {std::to_string(id), item, text, std::to_string(user.id)}).Int(0, 0);
    tx.Commit();
    return {201, {{"id", comment}}, "", ""};
  });
}

ApiResponse WorkflowService::ListComments(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kPhysician, Role::kClerk, Role::kInstitutionAdmin});
  int64_t id = IdParam(request, "id");
  return tiers_.institution.With([&](db::PgConnection& c) -> ApiResponse {
    db::PgResult r = c.Run(kForm, {std::to_string(id)});
    if (r.rows() == 0 || r.Int(0, 1) != user.institution_id) throw NotFound("臨個票", "form");
    db::PgResult list = c.Run(kComments, {std::to_string(id)});
    ordered_json comments = ordered_json::array();
    for (int i = 0; i < list.rows(); ++i) {
      comments.push_back({{"id", list.Int(i, 0)},
                          {"item", OrNull(list, i, 1)},
                          {"body", list.Text(i, 2)},
                          {"author", list.Int(i, 3)},
                          {"at", list.Text(i, 4)}});
    }
    return {200, {{"comments", comments}}, "", ""};
  });
}

ApiResponse WorkflowService::CheckForm(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kPhysician, Role::kClerk, Role::kInstitutionAdmin});
  int64_t id = IdParam(request, "id");
  Form form = tiers_.institution.With([&](db::PgConnection& c) {
    db::PgResult r = c.Run(kForm, {std::to_string(id)});
    if (r.rows() == 0 || r.Int(0, 1) != user.institution_id) throw NotFound("臨個票", "form");
    return FormFrom(r);
  });
  json envelope = {{"disease", form.disease},
                   {"variant", form.variant},
                   {"date", form.date ? *form.date : Today()},
                   {"items", form.items}};
  RulesInUse rules;
  engine::Judgment judgment = check_.Judge(envelope, rules);
  return {200, engine::JudgmentToJson(*rules, judgment), "", ""};
}

ApiResponse WorkflowService::ConfirmForm(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kPhysician});
  int64_t id = IdParam(request, "id");
  json body = ParseJsonObject(request.body);
  int64_t version = RequireId(body, "version");
  auto [institution_code, institution_name] = tiers_.registry.With([&](db::PgConnection& c) {
    db::PgResult r = c.Run(kInstitutionCode, {std::to_string(user.institution_id)});
    return std::pair<std::string, std::string>(r.Text(0, 0), r.Text(0, 1));
  });
  return tiers_.institution.With([&](db::PgConnection& c) -> ApiResponse {
    db::Transaction tx(c);
    db::PgResult r = c.Run(kForm, {std::to_string(id)});
    if (r.rows() == 0 || r.Int(0, 1) != user.institution_id) throw NotFound("臨個票", "form");
    Form form = FormFrom(r);
    if (form.status != "draft") {
      throw ApiError(409, "form_confirmed", "この臨個票は確定済みです", "already confirmed");
    }
    if (form.version != version) {
      throw ApiError(409, "version_conflict", "確定する前に最新の内容を読み直してください",
                     "the form changed since you read it; reload it", "/version");
    }
    if (!form.municipality) {
      throw ApiError(400, "missing_municipality",
                     "申請先の自治体 (municipality) を先に記入してください",
                     "set the municipality the application goes to first", "/municipality");
    }
    std::string date = form.date ? *form.date : Today();
    json envelope = {{"disease", form.disease},
                     {"variant", form.variant},
                     {"date", date},
                     {"items", form.items}};
    RulesInUse rules;
    engine::Judgment judgment = check_.Judge(envelope, rules);
    ordered_json judgment_json = engine::JudgmentToJson(*rules, judgment);
    if (judgment.HasErrors()) {
      ordered_json error =
          ApiError(422, "form_has_errors", "記入にエラーがあるため確定できません (messages を参照)",
                   "the form has errors and cannot be confirmed (see messages)")
              .ToJson();
      error["judgment"] = judgment_json;
      return {422, error, "", ""};
    }
    Patient patient = PatientFrom(c.Run(kPatient, {std::to_string(form.patient_id)}));
    std::string digest = ContentDigest(form, patient, date, rules->content_hash, institution_code,
                                       user.designation_number);
    std::string key = NewAccessKey();
    db::PgResult u =
        c.Run(kConfirm, {std::to_string(id), rules->content_hash, judgment_json.dump(), digest, key,
                         std::to_string(user.id), date, std::to_string(version)});
    if (u.rows() == 0) {
      throw ApiError(409, "version_conflict", "確定する前に最新の内容を読み直してください",
                     "the form changed since you read it; reload it", "/version");
    }
    Form saved = FormFrom(c.Run(kForm, {std::to_string(id)}));
    tx.Commit();
    return {200, FormToJson(saved), "", ""};
  });
}

ApiResponse WorkflowService::PrintForm(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kPhysician, Role::kClerk, Role::kInstitutionAdmin});
  int64_t id = IdParam(request, "id");
  auto [form, patient] = tiers_.institution.With([&](db::PgConnection& c) {
    db::PgResult r = c.Run(kForm, {std::to_string(id)});
    if (r.rows() == 0 || r.Int(0, 1) != user.institution_id) throw NotFound("臨個票", "form");
    Form f = FormFrom(r);
    return std::pair<Form, Patient>(f,
                                    PatientFrom(c.Run(kPatient, {std::to_string(f.patient_id)})));
  });
  if (form.status != "confirmed") {
    throw ApiError(409, "not_confirmed", "印刷できるのは確定済みの臨個票だけです",
                   "only a confirmed form can be printed");
  }
  auto [designation, physician] = tiers_.registry.With([&](db::PgConnection& c) {
    db::PgResult r = c.Run(kDesignation, {std::to_string(form.confirmed_by)});
    return std::pair<std::string, std::string>(r.Text(0, 0), r.Text(0, 1));
  });
  RulesInUse rules = check_.Find(form.disease, dsl::ParseDate(form.date.value_or("")));
  PrintedForm printed;
  printed.disease_name = rules->name_ja;
  printed.disease = form.disease;
  printed.variant = form.variant;
  printed.date = form.date.value_or("");
  printed.patient_name = patient.name;
  printed.patient_kana = patient.kana;
  printed.birth_date = patient.birth_date;
  printed.sex = patient.sex;
  printed.physician = physician;
  printed.designation = designation;
  printed.access_key = *form.access_key;
  printed.digest = *form.digest;
  printed.rule_hash = *form.rule_hash;
  printed.items = form.items;
  printed.judgment = json::parse(*form.judgment);
  return {200, {}, "text/html; charset=utf-8", RenderPrintView(*rules, printed)};
}

// ------------------------------------------------------------------ municipality

ApiResponse WorkflowService::ReceiveApplication(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kMunicipalityReviewer});
  json body = ParseJsonObject(request.body);
  std::string key = RequireString(body, "access_key", 40);
  if (!NormaliseAccessKey(key)) {
    throw ApiError(400, "bad_access_key", "アクセスキーの形が違います (例: 7K2M-QX9D-4TAB-HR6E)",
                   "malformed access key (e.g. 7K2M-QX9D-4TAB-HR6E)", "/access_key");
  }
  // Read the confirmed form from the institution tier…
  auto [form, patient] = tiers_.institution.With([&](db::PgConnection& c) {
    db::PgResult k = c.Run(kFormByKey, {key});
    if (k.rows() == 0) throw NotFound("このアクセスキーの申請", "application with this key");
    Form f = FormFrom(c.Run(kForm, {k.Text(0, 0)}));
    return std::pair<Form, Patient>(f,
                                    PatientFrom(c.Run(kPatient, {std::to_string(f.patient_id)})));
  });
  if (form.municipality.value_or("") != user.municipality_code) {
    throw NotFound("このアクセスキーの申請", "application with this key");
  }
  auto [institution_code, designation] = tiers_.registry.With([&](db::PgConnection& c) {
    std::string code = c.Run(kInstitutionCode, {std::to_string(form.institution_id)}).Text(0, 0);
    std::string number = c.Run(kDesignation, {std::to_string(form.confirmed_by)}).Text(0, 0);
    return std::pair<std::string, std::string>(code, number);
  });
  // …and copy it into the municipality tier (once; receiving again is a no-op).
  tiers_.municipality.With([&](db::PgConnection& c) {
    c.Run(kInsertApplication, {key, user.municipality_code, form.disease, patient.ToJson().dump(),
                               form.items.dump(), *form.judgment, *form.rule_hash, *form.digest,
                               institution_code, designation, std::to_string(user.id)});
  });
  ApiRequest get = request;
  get.params["key"] = key;
  ApiResponse out = GetApplication(get);
  out.status = 201;
  return out;
}

ApiResponse WorkflowService::GetApplication(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kMunicipalityReviewer});
  std::string key = request.params.at("key");
  if (!NormaliseAccessKey(key)) throw NotFound("申請", "application");
  return tiers_.municipality.With([&](db::PgConnection& c) -> ApiResponse {
    db::PgResult r = c.Run(kApplication, {key});
    if (r.rows() == 0 || r.Text(0, 1) != user.municipality_code)
      throw NotFound("申請", "application");
    ordered_json j;
    j["access_key"] = r.Text(0, 0);
    j["municipality"] = r.Text(0, 1);
    j["disease"] = r.Text(0, 2);
    j["patient"] = ordered_json::parse(r.Text(0, 3));
    j["items"] = ordered_json::parse(r.Text(0, 4));
    j["judgment"] = ordered_json::parse(r.Text(0, 5));
    j["rule_hash"] = r.Text(0, 6);
    j["content_digest"] = r.Text(0, 7);
    j["institution"] = r.Text(0, 8);
    j["physician_designation"] = r.Text(0, 9);
    j["received_at"] = r.Text(0, 10);
    j["decision"] = OrNull(r, 0, 11);
    j["decision_reason"] = OrNull(r, 0, 12);
    j["valid_from"] = OrNull(r, 0, 13);
    j["valid_until"] = OrNull(r, 0, 14);
    j["consent"] = r.Bool(0, 15);
    return {200, j, "", ""};
  });
}

ApiResponse WorkflowService::DecideApplication(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kMunicipalityReviewer});
  std::string key = request.params.at("key");
  if (!NormaliseAccessKey(key)) throw NotFound("申請", "application");
  json body = ParseJsonObject(request.body);
  std::string decision = RequireString(body, "decision", 20);
  if (decision != "certified" && decision != "rejected" && decision != "returned") {
    throw ApiError(400, "bad_value",
                   "「decision」は certified (認定)・rejected (不認定)・returned (返戻) のいずれか",
                   "\"decision\" must be certified, rejected or returned", "/decision");
  }
  std::optional<std::string> reason = OptionalString(body, "reason", 2000);
  if (decision != "certified" && !reason) {
    throw ApiError(400, "missing_field", "不認定・返戻には理由 (reason) が必要です",
                   "a reason is required to reject or return", "/reason");
  }
  tiers_.municipality.With([&](db::PgConnection& c) {
    db::PgResult u =
        c.Run(kDecide, {key, decision, reason, std::to_string(user.id), user.municipality_code});
    if (u.Affected() == 0) {
      db::PgResult r = c.Run(kApplication, {key});
      if (r.rows() == 0 || r.Text(0, 1) != user.municipality_code) {
        throw NotFound("申請", "application");
      }
      throw ApiError(409, "already_decided", "この申請は判定済みです",
                     "this application has already been decided");
    }
  });
  return GetApplication(request);
}

ApiResponse WorkflowService::RecordConsent(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kMunicipalityReviewer});
  std::string key = request.params.at("key");
  if (!NormaliseAccessKey(key)) throw NotFound("申請", "application");
  // Consent first, then the copy: a retry after a failure in between copies
  // again (the copy is idempotent), and nothing reaches the national tier
  // without recorded consent.
  ApiResponse application = tiers_.municipality.With([&](db::PgConnection& c) {
    db::PgResult u = c.Run(kConsent, {key, user.municipality_code});
    if (u.Affected() == 0) throw NotFound("申請", "application");
    return ApiResponse{};
  });
  application = GetApplication(request);
  const ordered_json& a = application.body;
  std::string birth = a["patient"]["birth_date"].get<std::string>().substr(0, 7);
  tiers_.national.With([&](db::PgConnection& c) {
    c.Run(kInsertRegistration,
          {key, a["disease"].get<std::string>(), birth, a["patient"]["sex"].get<std::string>(),
           a["items"].dump(), a["judgment"].dump(), a["rule_hash"].get<std::string>(),
           a["municipality"].get<std::string>()});
  });
  return application;
}

ApiResponse WorkflowService::ListRegistrations(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kAnalyst});
  db::Param disease;
  if (auto it = request.query.find("disease"); it != request.query.end()) disease = it->second;
  return tiers_.national.With([&](db::PgConnection& c) -> ApiResponse {
    db::PgResult r = c.Run(kRegistrations, {disease});
    ordered_json list = ordered_json::array();
    for (int i = 0; i < r.rows(); ++i) {
      list.push_back({{"access_key", r.Text(i, 0)},
                      {"disease", r.Text(i, 1)},
                      {"birth_year_month", r.Text(i, 2)},
                      {"sex", r.Text(i, 3)},
                      {"judgment", ordered_json::parse(r.Text(i, 4))},
                      {"rule_hash", r.Text(i, 5)},
                      {"municipality", r.Text(i, 6)},
                      {"registered_at", r.Text(i, 7)}});
    }
    return {200, {{"registrations", list}}, "", ""};
  });
}

}  // namespace kijun::server
