#include "server/workflow_service.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Exception.h>

#include <charconv>
#include <set>
#include <sstream>

#include "dsl/calendar.h"
#include "dsl/sha256.h"
#include "engine/judgment_render.h"
#include "engine/judgment_writer.h"
#include "server/access_key.h"
#include "server/authorship.h"
#include "server/blind_index.h"
#include "server/print_view.h"

namespace kijun::server {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

// ------------------------------------------------------------------ SQL

constexpr db::Statement kInstitutionCode = {
    "wf_institution_code", "SELECT code, name FROM registry.institutions WHERE id = $1"};
constexpr db::Statement kDesignation = {
    "wf_designation",
    "SELECT coalesce(designation_number, ''), display_name FROM registry.users WHERE id = $1"};

// ------------------------------------------------------------------ rows

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
  j["carry_consent"] = f.carry_consent;
  if (f.status == "confirmed") {
    j["access_key"] = *f.access_key;
    j["content_digest"] = *f.digest;
    j["rule_hash"] = *f.rule_hash;
    j["judgment"] = ordered_json::parse(*f.judgment);
  }
  return j;
}

ordered_json OrNull(const std::optional<std::string>& value) {
  return value ? ordered_json(*value) : ordered_json(nullptr);
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

std::string NowUtc() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string Today() { return NowUtc().substr(0, 10); }

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
  // The physicians' hot path: written straight to text (the same bytes as
  // the JSON document's dump, engine/judgment_writer.h).
  std::string text;
  engine::WriteJudgmentJson(*rules, judgment, text);
  return {200, nullptr, "application/json; charset=utf-8", std::move(text)};
}

// ------------------------------------------------------------------ patients

ApiResponse WorkflowService::CreatePatient(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kPhysician, Role::kClerk, Role::kInstitutionAdmin});
  json body = ParseJsonObject(request.body);
  Patient patient;
  patient.institution_id = user.institution_id;
  patient.name = RequireString(body, "name", 200);
  patient.kana = RequireString(body, "kana", 200);
  std::optional<std::string> birth = OptionalDate(body, "birth_date");
  if (!birth) {
    throw ApiError(400, "missing_field", "「birth_date」がありません", "missing \"birth_date\"",
                   "/birth_date");
  }
  patient.birth_date = *birth;
  patient.sex = RequireString(body, "sex", 10);
  if (patient.sex != "男" && patient.sex != "女") {
    throw ApiError(400, "bad_value", "「sex」は \"男\" か \"女\" にしてください",
                   "\"sex\" must be \"男\" or \"女\"", "/sex");
  }
  patient.insurance_number = OptionalString(body, "insurance_number", 40);
  BlindIndexKey index_key = keys_.keks().CurrentBlindIndexKey();
  patient.blind_index =
      PatientBlindIndex(index_key.key, patient.name, patient.birth_date, patient.insurance_number);
  patient.blind_index_key = index_key.id;
  int64_t id = tiers_.institution.With([&](db::PgConnection& c) {
    db::Transaction tx(c);
    int64_t created = institution_.CreatePatient(c, patient, user.id);
    tx.Commit();
    return created;
  });
  return {201, {{"id", id}}, "", ""};
}

Patient WorkflowService::PatientOf(db::PgConnection& c, const User& user, int64_t id) {
  std::optional<Patient> p = institution_.LoadPatient(c, id);
  if (!p || p->institution_id != user.institution_id) throw NotFound("患者", "patient");
  return *p;
}

Form WorkflowService::FormOf(db::PgConnection& c, const User& user, int64_t id) {
  std::optional<Form> f = institution_.LoadForm(c, id);
  if (!f || f->institution_id != user.institution_id) throw NotFound("臨個票", "form");
  return *f;
}

ApiResponse WorkflowService::GetPatient(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kPhysician, Role::kClerk, Role::kInstitutionAdmin});
  int64_t id = IdParam(request, "id");
  return tiers_.institution.With([&](db::PgConnection& c) -> ApiResponse {
    return {200, PatientOf(c, user, id).ToJson(), "", ""};
  });
}

// ------------------------------------------------------------------ forms

ApiResponse WorkflowService::CreateForm(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kPhysician, Role::kClerk, Role::kInstitutionAdmin});
  json body = ParseJsonObject(request.body);
  NewForm form;
  form.institution_id = user.institution_id;
  form.patient_id = RequireId(body, "patient_id");
  form.disease = RequireString(body, "disease", 100);
  form.variant = RequireString(body, "variant", 20);
  form.date = OptionalDate(body, "date");
  form.created_by = user.id;
  auto flag = [&](const char* name) {
    auto it = body.find(name);
    if (it == body.end()) return false;
    if (!it->is_boolean()) {
      throw ApiError(
          400, "wrong_type", std::string("「") + name + "」は true か false にしてください",
          std::string("\"") + name + "\" must be true or false", std::string("/") + name);
    }
    return it->get<bool>();
  };
  bool carry = flag("carry_forward");
  bool consent = flag("patient_consent");
  RulesInUse rules =
      check_.Find(form.disease, form.date ? dsl::ParseDate(*form.date) : std::nullopt);
  if (!rules->variants.empty() && std::find(rules->variants.begin(), rules->variants.end(),
                                            form.variant) == rules->variants.end()) {
    throw ApiError(400, "bad_variant", "様式の区分「" + form.variant + "」はこの疾病にありません",
                   "no form variant '" + form.variant + "' for this disease", "/variant");
  }
  return tiers_.institution.With([&](db::PgConnection& c) -> ApiResponse {
    db::Transaction tx(c);
    Patient patient = PatientOf(c, user, form.patient_id);
    form.items = json::object();
    if (carry) {
      // The patient's last confirmed form for this disease, found by the
      // blind index: at this institution, or — with the patient's consent
      // only — at another one. The patient's index is computed under every
      // index key in use (during rotate-index-key rows are under the old or
      // the new one); the stored value too, whatever key it is under.
      std::vector<std::string> indexes =
          PatientBlindIndexes(keys_.keks().BlindIndexKeys(), patient.name, patient.birth_date,
                              patient.insurance_number);
      if (!patient.blind_index.empty()) indexes.push_back(patient.blind_index);
      std::optional<Form> last = institution_.LastConfirmedForm(c, indexes, form.disease);
      if (!last) {
        throw ApiError(404, "nothing_to_carry",
                       "この患者のこの疾病の確定済みの前回の臨個票がありません",
                       "no earlier confirmed form of this patient for this disease");
      }
      if (last->institution_id != user.institution_id) {
        if (!consent) {
          throw ApiError(403, "consent_required",
                         "前回の臨個票は別の医療機関のものです。患者の同意を得て "
                         "patient_consent: true で送ってください",
                         "the last form is from another institution; carrying it forward needs "
                         "the patient's consent (send patient_consent: true)",
                         "/patient_consent");
        }
        form.carry_consent = true;
      }
      form.carried_from = last->id;
      for (const auto& [name, value] : last->items.items()) {
        if (rules->FindItem(name) < 0) continue;  // items the current version no longer has
        form.items[name] = value;
        form.carried_items.push_back(name);
      }
    }
    // The patient's sex and birth date fill the form's items of those names.
    if (rules->FindItem("性別") >= 0) form.items["性別"] = patient.sex;
    if (rules->FindItem("生年月日") >= 0) form.items["生年月日"] = patient.birth_date;
    int64_t id = institution_.CreateForm(c, form);
    Form created = FormOf(c, user, id);
    tx.Commit();
    ordered_json out = FormToJson(created);
    out["schema"] = "/diseases/" + form.disease + "/form";
    return {201, out, "", ""};
  });
}

ApiResponse WorkflowService::GetForm(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kPhysician, Role::kClerk, Role::kInstitutionAdmin});
  int64_t id = IdParam(request, "id");
  return tiers_.institution.With([&](db::PgConnection& c) -> ApiResponse {
    return {200, FormToJson(FormOf(c, user, id)), "", ""};
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
    Form form = FormOf(c, user, id);
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
    form.items = *items;
    form.carried_items = carried;
    if (date) form.date = date;
    if (municipality) form.municipality = municipality;
    if (!institution_.UpdateDraft(c, form, user.id, version)) {
      throw ApiError(409, "version_conflict", "ほかの人が先に更新しました",
                     "the form was changed by someone else", "/version");
    }
    Form saved = FormOf(c, user, id);
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
    Form form = FormOf(c, user, id);
    if (item) {
      RulesInUse rules = check_.Find(form.disease, std::nullopt);
      if (rules->FindItem(*item) < 0) {
        throw ApiError(400, "unknown_item", "「" + *item + "」はこの疾病の様式にない項目です",
                       "'" + *item + "' is not an item of this disease's form", "/item");
      }
    }
    int64_t comment = institution_.AddComment(c, form, item, text, user.id);
    tx.Commit();
    return {201, {{"id", comment}}, "", ""};
  });
}

ApiResponse WorkflowService::ListComments(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kPhysician, Role::kClerk, Role::kInstitutionAdmin});
  int64_t id = IdParam(request, "id");
  return tiers_.institution.With([&](db::PgConnection& c) -> ApiResponse {
    Form form = FormOf(c, user, id);
    ordered_json comments = ordered_json::array();
    for (const Comment& k : institution_.Comments(c, form)) {
      comments.push_back({{"id", k.id},
                          {"item", OrNull(k.item)},
                          {"body", k.body},
                          {"author", k.author},
                          {"at", k.at}});
    }
    return {200, {{"comments", comments}}, "", ""};
  });
}

ApiResponse WorkflowService::CheckForm(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kPhysician, Role::kClerk, Role::kInstitutionAdmin});
  int64_t id = IdParam(request, "id");
  Form form = tiers_.institution.With([&](db::PgConnection& c) { return FormOf(c, user, id); });
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
  std::optional<std::string> envelope_text = OptionalString(body, "envelope", size_t{512} * 1024);
  auto [institution_code, institution_name] = tiers_.registry.With([&](db::PgConnection& c) {
    db::PgResult r = c.Run(kInstitutionCode, {std::to_string(user.institution_id)});
    return std::pair<std::string, std::string>(r.Text(0, 0), r.Text(0, 1));
  });
  return tiers_.institution.With([&](db::PgConnection& c) -> ApiResponse {
    db::Transaction tx(c);
    Form form = FormOf(c, user, id);
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
    // A physician confirming through a hospital system signs the form's
    // content in an envelope: it must be theirs and say exactly this form.
    std::optional<OpenedEnvelope> physician_signed;
    if (envelope_text)
      physician_signed = OpenConfirmationEnvelope(*envelope_text, user, form, date);
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
    Patient patient = PatientOf(c, user, form.patient_id);
    std::string digest = ContentDigest(form, patient, date, rules->content_hash, institution_code,
                                       user.designation_number);
    // Proof of authorship: the server signs the statement for the
    // physician's authenticated session.
    Confirmation confirmation;
    confirmation.rule_hash = rules->content_hash;
    confirmation.judgment = judgment_json.dump();
    confirmation.digest = digest;
    confirmation.access_key = NewAccessKey();
    confirmation.date = date;
    confirmation.confirmed_at = NowUtc();
    confirmation.by = user.id;
    AuthorshipFacts facts;
    facts.form_id = form.id;
    facts.content_digest = digest;
    facts.rule_hash = rules->content_hash;
    facts.designation = user.designation_number;
    facts.physician_user = user.id;
    facts.institution = institution_code;
    facts.confirmed_at = confirmation.confirmed_at;
    if (physician_signed) {
      confirmation.physician_signature = physician_signed->signed_data;
      facts.physician_signature_digest = "sha256:" + dsl::Sha256Hex(physician_signed->signed_data);
    }
    confirmation.statement = AuthorshipStatement(facts);
    confirmation.signature = signer_.Sign(confirmation.statement);
    if (!institution_.Confirm(c, form, confirmation, version)) {
      throw ApiError(409, "version_conflict", "確定する前に最新の内容を読み直してください",
                     "the form changed since you read it; reload it", "/version");
    }
    Form saved = FormOf(c, user, id);
    tx.Commit();
    return {200, FormToJson(saved), "", ""};
  });
}

OpenedEnvelope WorkflowService::OpenConfirmationEnvelope(const std::string& text, const User& user,
                                                         const Form& form,
                                                         const std::string& date) const {
  if (envelopes_ == nullptr) {
    throw ApiError(400, "envelopes_not_accepted",
                   "この登録サーバは封筒 (envelope) を受け付けません",
                   "this registry does not accept envelopes", "/envelope");
  }
  std::string der = text;
  if (text.rfind("-----BEGIN", 0) != 0) {
    try {
      std::istringstream in(text);
      Poco::Base64Decoder decoder(in);
      der.assign(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
    } catch (const Poco::Exception&) {
      throw ApiError(400, "not_an_envelope",
                     "「envelope」は DER の base64 か PEM (-----BEGIN CMS-----) にしてください",
                     "\"envelope\" must be base64 DER or PEM (-----BEGIN CMS-----)", "/envelope");
    }
  }
  OpenedEnvelope opened;
  try {
    opened = envelopes_->Open(der);
    RequireConfirmingPhysician(opened, user.designation_number);
  } catch (const EnvelopeError& e) {
    std::string message = e.what();
    size_t split = message.find(" / ");
    std::string ja = split == std::string::npos ? message : message.substr(0, split);
    std::string en = split == std::string::npos ? message : message.substr(split + 3);
    throw ApiError(EnvelopeErrorStatus(e.code()), std::string(e.name()), ja, en, "/envelope");
  }
  json signed_payload = json::parse(opened.payload, nullptr, false);
  if (signed_payload != json::parse(ConfirmationPayload(form, date))) {
    throw ApiError(
        409, "envelope_mismatch",
        "署名された内容がこの臨個票の現在の内容と違います (読み直して署名し直してください)",
        "the signed payload is not this form's current content (reload, sign again)", "/envelope");
  }
  return opened;
}

ApiResponse WorkflowService::PrintForm(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kPhysician, Role::kClerk, Role::kInstitutionAdmin});
  int64_t id = IdParam(request, "id");
  auto [form, patient] = tiers_.institution.With([&](db::PgConnection& c) {
    Form f = FormOf(c, user, id);
    return std::pair<Form, Patient>(f, PatientOf(c, user, f.patient_id));
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
    std::optional<int64_t> id = institution_.FormIdByAccessKey(c, key);
    if (!id) throw NotFound("このアクセスキーの申請", "application with this key");
    Form f = *institution_.LoadForm(c, *id);
    return std::pair<Form, Patient>(f, *institution_.LoadPatient(c, f.patient_id));
  });
  if (form.municipality.value_or("") != user.municipality_code) {
    throw NotFound("このアクセスキーの申請", "application with this key");
  }
  Application a;
  a.access_key = key;
  a.municipality = user.municipality_code;
  a.disease = form.disease;
  a.patient = ordered_json::parse(patient.ToJson().dump());
  a.patient.erase("id");
  a.items = ordered_json::parse(form.items.dump());
  a.judgment = ordered_json::parse(*form.judgment);
  a.rule_hash = *form.rule_hash;
  a.digest = *form.digest;
  std::tie(a.institution, a.designation) = tiers_.registry.With([&](db::PgConnection& c) {
    std::string code = c.Run(kInstitutionCode, {std::to_string(form.institution_id)}).Text(0, 0);
    std::string number = c.Run(kDesignation, {std::to_string(form.confirmed_by)}).Text(0, 0);
    return std::pair<std::string, std::string>(code, number);
  });
  // …and copy it into the municipality tier (once; receiving again is a no-op).
  tiers_.municipality.With([&](db::PgConnection& c) { municipality_.Receive(c, a, user.id); });
  ApiRequest get = request;
  get.params["key"] = key;
  ApiResponse out = GetApplication(get);
  out.status = 201;
  return out;
}

Application WorkflowService::ApplicationOf(db::PgConnection& c, const User& user,
                                           const std::string& key) {
  std::optional<Application> a = municipality_.Load(c, key);
  if (!a || a->municipality != user.municipality_code) throw NotFound("申請", "application");
  return *a;
}

ApiResponse WorkflowService::GetApplication(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kMunicipalityReviewer});
  std::string key = request.params.at("key");
  if (!NormaliseAccessKey(key)) throw NotFound("申請", "application");
  return tiers_.municipality.With([&](db::PgConnection& c) -> ApiResponse {
    Application a = ApplicationOf(c, user, key);
    ordered_json j;
    j["access_key"] = a.access_key;
    j["municipality"] = a.municipality;
    j["disease"] = a.disease;
    j["patient"] = a.patient;
    j["items"] = a.items;
    j["judgment"] = a.judgment;
    j["rule_hash"] = a.rule_hash;
    j["content_digest"] = a.digest;
    j["institution"] = a.institution;
    j["physician_designation"] = a.designation;
    j["received_at"] = a.received_at;
    j["decision"] = OrNull(a.decision);
    j["decision_reason"] = OrNull(a.decision_reason);
    j["valid_from"] = OrNull(a.valid_from);
    j["valid_until"] = OrNull(a.valid_until);
    j["consent"] = a.consent;
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
    db::Transaction tx(c);
    Application a = ApplicationOf(c, user, key);
    if (!municipality_.Decide(c, a, decision, reason, user.id)) {
      throw ApiError(409, "already_decided", "この申請は判定済みです",
                     "this application has already been decided");
    }
    tx.Commit();
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
  Application a = tiers_.municipality.With([&](db::PgConnection& c) {
    if (!municipality_.RecordConsent(c, key, user.municipality_code)) {
      throw NotFound("申請", "application");
    }
    return ApplicationOf(c, user, key);
  });
  // The research copy: no name, kana or insurance number; the birth date
  // only as year-month (also taken out of the items).
  Registration r;
  r.access_key = key;
  r.disease = a.disease;
  r.birth_year_month = a.patient["birth_date"].get<std::string>().substr(0, 7);
  r.sex = a.patient["sex"].get<std::string>();
  r.judgment = a.judgment;
  r.rule_hash = a.rule_hash;
  r.municipality = a.municipality;
  ordered_json items = a.items;
  items.erase("生年月日");
  tiers_.national.With([&](db::PgConnection& c) { national_.Register(c, r, items); });
  return GetApplication(request);
}

ApiResponse WorkflowService::ListRegistrations(const ApiRequest& request) {
  User user = auth_.Authenticate(request);
  AuthService::Require(user, {Role::kAnalyst});
  std::optional<std::string> disease;
  if (auto it = request.query.find("disease"); it != request.query.end()) disease = it->second;
  return tiers_.national.With([&](db::PgConnection& c) -> ApiResponse {
    ordered_json list = ordered_json::array();
    for (const Registration& r : national_.List(c, disease)) {
      list.push_back({{"access_key", r.access_key},
                      {"disease", r.disease},
                      {"birth_year_month", r.birth_year_month},
                      {"sex", r.sex},
                      {"judgment", r.judgment},
                      {"rule_hash", r.rule_hash},
                      {"municipality", r.municipality},
                      {"registered_at", r.registered_at}});
    }
    return {200, {{"registrations", list}}, "", ""};
  });
}

}  // namespace kijun::server
