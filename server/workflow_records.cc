#include "server/workflow_records.h"

namespace kijun::server {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

constexpr const char* kPatientsTable = "institution.patients";
constexpr const char* kFormsTable = "institution.forms";
constexpr const char* kCommentsTable = "institution.comments";
constexpr const char* kApplicationsTable = "municipality.applications";
constexpr const char* kRegistrationsTable = "national.registrations";

// ------------------------------------------------------------------ SQL

constexpr db::Statement kNextPatientId = {"wr_next_patient",
                                          "SELECT nextval('institution.patients_id_seq')"};
constexpr db::Statement kInsertPatient = {
    "wr_insert_patient",
    "INSERT INTO institution.patients"
    " (id, institution_id, sex, data_key_id, identity, blind_index, blind_index_key, created_by)"
    " VALUES ($1, $2, $3, $4, $5::bytea, $6, $7, $8)"};
constexpr db::Statement kPatient = {
    "wr_patient",
    "SELECT id, institution_id, sex, data_key_id, identity, blind_index, blind_index_key"
    " FROM institution.patients WHERE id = $1"};
constexpr db::Statement kNextFormId = {"wr_next_form",
                                       "SELECT nextval('institution.forms_id_seq')"};
constexpr db::Statement kInsertForm = {
    "wr_insert_form",
    "INSERT INTO institution.forms (id, institution_id, patient_id, disease, variant,"
    " data_key_id, items_sealed, form_date, carried_from, carried_items, carry_consent,"
    " created_by, updated_by)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7::bytea, $8::date, $9, $10::text[], $11, $12, $12)"};
#define KIJUN_FORM_COLUMNS                                                                \
  " f.id, f.institution_id, f.patient_id, f.disease, f.variant, f.status, f.data_key_id," \
  " f.items_sealed, to_char(f.form_date, 'YYYY-MM-DD'), f.version, f.municipality_code,"  \
  " f.rule_hash, f.judgment_sealed, f.content_digest, f.access_key, f.confirmed_by,"      \
  " f.carried_from, array_to_json(f.carried_items)::text, f.carry_consent,"               \
  " to_char(f.confirmed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"        \
  " f.authorship_statement, f.authorship_signature, f.physician_signature_sealed"
constexpr db::Statement kForm = {
    "wr_form", "SELECT" KIJUN_FORM_COLUMNS " FROM institution.forms f WHERE f.id = $1"};
constexpr db::Statement kLastConfirmed = {
    "wr_last_confirmed",
    "SELECT" KIJUN_FORM_COLUMNS
    " FROM institution.forms f JOIN institution.patients p ON p.id = f.patient_id"
    " WHERE p.blind_index = ANY($1::text[]) AND f.disease = $2 AND f.status = 'confirmed'"
    " ORDER BY f.confirmed_at DESC LIMIT 1"};
#undef KIJUN_FORM_COLUMNS
constexpr db::Statement kFormByKey = {"wr_form_by_key",
                                      "SELECT id FROM institution.forms WHERE access_key = $1"};
constexpr db::Statement kUpdateDraft = {
    "wr_update_draft",
    "UPDATE institution.forms SET items_sealed = $2::bytea, form_date = $3::date,"
    " municipality_code = $4, carried_items = $5::text[], version = version + 1,"
    " updated_by = $6, updated_at = now()"
    " WHERE id = $1 AND version = $7 AND status = 'draft' RETURNING version"};
constexpr db::Statement kConfirm = {
    "wr_confirm",
    "UPDATE institution.forms SET status = 'confirmed', rule_hash = $2,"
    " judgment_sealed = $3::bytea, content_digest = $4, access_key = $5, confirmed_by = $6,"
    " confirmed_at = $9::timestamptz, form_date = $7::date, version = version + 1,"
    " updated_by = $6, updated_at = now(), authorship_statement = $10,"
    " authorship_signature = $11, physician_signature_sealed = $12::bytea"
    " WHERE id = $1 AND version = $8 AND status = 'draft' RETURNING version"};
constexpr db::Statement kConfirmedIds = {
    "wr_confirmed_ids",
    "SELECT id FROM institution.forms WHERE status = 'confirmed' AND id > $1 ORDER BY id"
    " LIMIT $2"};
constexpr db::Statement kNextCommentId = {"wr_next_comment",
                                          "SELECT nextval('institution.comments_id_seq')"};
constexpr db::Statement kInsertComment = {
    "wr_insert_comment",
    "INSERT INTO institution.comments (id, form_id, item, body_sealed, author_id)"
    " VALUES ($1, $2, $3, $4::bytea, $5)"};
constexpr db::Statement kComments = {
    "wr_comments",
    "SELECT id, item, body_sealed, author_id,"
    " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM institution.comments WHERE form_id = $1 ORDER BY id"};

constexpr db::Statement kApplicationExists = {
    "wr_application_exists", "SELECT 1 FROM municipality.applications WHERE access_key = $1"};
constexpr db::Statement kNextApplicationId = {"wr_next_application",
                                              "SELECT nextval('municipality.applications_id_seq')"};
constexpr db::Statement kInsertApplication = {
    "wr_insert_application",
    "INSERT INTO municipality.applications (id, access_key, municipality_code, disease,"
    " data_key_id, patient_sealed, items_sealed, judgment_sealed, rule_hash, content_digest,"
    " institution_code, physician_designation, received_by)"
    " VALUES ($1, $2, $3, $4, $5, $6::bytea, $7::bytea, $8::bytea, $9, $10, $11, $12, $13)"
    " ON CONFLICT (access_key) DO NOTHING"};
constexpr db::Statement kApplication = {
    "wr_application",
    "SELECT id, data_key_id, access_key, municipality_code, disease, patient_sealed,"
    " items_sealed, judgment_sealed, rule_hash, content_digest, institution_code,"
    " physician_designation,"
    " to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), decision,"
    " decision_reason_sealed, to_char(valid_from, 'YYYY-MM-DD'),"
    " to_char(valid_until, 'YYYY-MM-DD'), consent"
    " FROM municipality.applications WHERE access_key = $1"};
constexpr db::Statement kDecide = {
    "wr_decide",
    "UPDATE municipality.applications SET decision = $2, decision_reason_sealed = $3::bytea,"
    " decided_by = $4, decided_at = now(),"
    " valid_from = CASE WHEN $2 = 'certified' THEN current_date END,"
    " valid_until = CASE WHEN $2 = 'certified'"
    "   THEN (current_date + interval '1 year' - interval '1 day')::date END"
    " WHERE id = $1 AND decision IS NULL"};
constexpr db::Statement kConsent = {
    "wr_consent",
    "UPDATE municipality.applications SET consent = true, consent_at = coalesce(consent_at, now())"
    " WHERE access_key = $1 AND municipality_code = $2"};

constexpr db::Statement kRegistrationExists = {
    "wr_registration_exists", "SELECT 1 FROM national.registrations WHERE access_key = $1"};
constexpr db::Statement kNextRegistrationId = {"wr_next_registration",
                                               "SELECT nextval('national.registrations_id_seq')"};
constexpr db::Statement kInsertRegistration = {
    "wr_insert_registration",
    "INSERT INTO national.registrations (id, access_key, disease, birth_year_month, sex,"
    " data_key_id, items_sealed, judgment_sealed, rule_hash, municipality_code)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7::bytea, $8::bytea, $9, $10)"
    " ON CONFLICT (access_key) DO NOTHING"};
constexpr db::Statement kRegistrations = {
    "wr_registrations",
    "SELECT access_key, disease, birth_year_month, sex, data_key_id, judgment_sealed, rule_hash,"
    " municipality_code, to_char(registered_at AT TIME ZONE 'UTC',"
    " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), id FROM national.registrations"
    " WHERE $1::text IS NULL OR disease = $1 ORDER BY id LIMIT 1000"};

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

db::Param Id(const std::optional<int64_t>& id) {
  return id ? db::Param(std::to_string(*id)) : std::nullopt;
}

}  // namespace

json Patient::ToJson() const {
  json j = {{"id", id}, {"name", name}, {"kana", kana}, {"birth_date", birth_date}, {"sex", sex}};
  j["insurance_number"] = insurance_number ? json(*insurance_number) : json(nullptr);
  return j;
}

// ------------------------------------------------------------------ institution

int64_t InstitutionRecords::CreatePatient(db::PgConnection& c, const Patient& p,
                                          int64_t created_by) {
  int64_t id = c.Run(kNextPatientId).Int(0, 0);
  RecordSeal seal = keys_.Create(c, SealedTier::kInstitution);
  json identity = {{"name", p.name}, {"kana", p.kana}, {"birth_date", p.birth_date}};
  identity["insurance_number"] = p.insurance_number ? json(*p.insurance_number) : json(nullptr);
  c.Run(kInsertPatient,
        {std::to_string(id), std::to_string(p.institution_id), p.sex, std::to_string(seal.key_id()),
         seal.Seal(Place(kPatientsTable, id, "identity"), identity.dump()), p.blind_index,
         p.blind_index_key, std::to_string(created_by)});
  return id;
}

std::optional<Patient> InstitutionRecords::LoadPatient(db::PgConnection& c, int64_t id) {
  db::PgResult r = c.Run(kPatient, {std::to_string(id)});
  if (r.rows() == 0) return std::nullopt;
  Patient p;
  p.id = r.Int(0, 0);
  p.institution_id = r.Int(0, 1);
  p.sex = r.Text(0, 2);
  RecordSeal seal = keys_.Load(c, SealedTier::kInstitution, r.Int(0, 3));
  json identity = json::parse(seal.Open(Place(kPatientsTable, p.id, "identity"), r.Text(0, 4)));
  p.name = identity["name"].get<std::string>();
  p.kana = identity["kana"].get<std::string>();
  p.birth_date = identity["birth_date"].get<std::string>();
  if (!identity["insurance_number"].is_null()) {
    p.insurance_number = identity["insurance_number"].get<std::string>();
  }
  p.blind_index = r.Optional(0, 5).value_or("");
  p.blind_index_key = r.Optional(0, 6).value_or("");
  return p;
}

Form InstitutionRecords::FormFrom(db::PgConnection& c, const db::PgResult& r, int row) {
  Form f;
  f.id = r.Int(row, 0);
  f.institution_id = r.Int(row, 1);
  f.patient_id = r.Int(row, 2);
  f.disease = r.Text(row, 3);
  f.variant = r.Text(row, 4);
  f.status = r.Text(row, 5);
  f.data_key_id = r.Int(row, 6);
  RecordSeal seal = keys_.Load(c, SealedTier::kInstitution, f.data_key_id);
  f.items = json::parse(seal.Open(Place(kFormsTable, f.id, "items"), r.Text(row, 7)));
  f.date = r.Optional(row, 8);
  f.version = r.Int(row, 9);
  f.municipality = r.Optional(row, 10);
  f.rule_hash = r.Optional(row, 11);
  if (!r.IsNull(row, 12))
    f.judgment = seal.Open(Place(kFormsTable, f.id, "judgment"), r.Text(row, 12));
  f.digest = r.Optional(row, 13);
  f.access_key = r.Optional(row, 14);
  f.confirmed_by = r.IsNull(row, 15) ? 0 : r.Int(row, 15);
  if (!r.IsNull(row, 16)) f.carried_from = r.Int(row, 16);
  for (const auto& item : json::parse(r.Text(row, 17))) {
    f.carried_items.push_back(item.get<std::string>());
  }
  f.carry_consent = r.Bool(row, 18);
  f.confirmed_at = r.Optional(row, 19);
  f.authorship_statement = r.Optional(row, 20);
  f.authorship_signature = r.Optional(row, 21);
  if (!r.IsNull(row, 22)) {
    f.physician_signature =
        seal.Open(Place(kFormsTable, f.id, "physician_signature"), r.Text(row, 22));
  }
  return f;
}

int64_t InstitutionRecords::CreateForm(db::PgConnection& c, const NewForm& f) {
  int64_t id = c.Run(kNextFormId).Int(0, 0);
  RecordSeal seal = keys_.Create(c, SealedTier::kInstitution);
  c.Run(kInsertForm,
        {std::to_string(id), std::to_string(f.institution_id), std::to_string(f.patient_id),
         f.disease, f.variant, std::to_string(seal.key_id()),
         seal.Seal(Place(kFormsTable, id, "items"), f.items.dump()), f.date, Id(f.carried_from),
         PgArray(f.carried_items), f.carry_consent ? "t" : "f", std::to_string(f.created_by)});
  return id;
}

std::optional<Form> InstitutionRecords::LoadForm(db::PgConnection& c, int64_t id) {
  db::PgResult r = c.Run(kForm, {std::to_string(id)});
  if (r.rows() == 0) return std::nullopt;
  return FormFrom(c, r, 0);
}

std::optional<int64_t> InstitutionRecords::FormIdByAccessKey(db::PgConnection& c,
                                                             const std::string& key) {
  db::PgResult r = c.Run(kFormByKey, {key});
  if (r.rows() == 0) return std::nullopt;
  return r.Int(0, 0);
}

std::optional<Form> InstitutionRecords::LastConfirmedForm(
    db::PgConnection& c, const std::vector<std::string>& blind_indexes,
    const std::string& disease) {
  db::PgResult r = c.Run(kLastConfirmed, {PgArray(blind_indexes), disease});
  if (r.rows() == 0) return std::nullopt;
  return FormFrom(c, r, 0);
}

bool InstitutionRecords::UpdateDraft(db::PgConnection& c, const Form& f, int64_t by,
                                     int64_t expected_version) {
  RecordSeal seal = keys_.Load(c, SealedTier::kInstitution, f.data_key_id);
  return c.Run(kUpdateDraft,
               {std::to_string(f.id), seal.Seal(Place(kFormsTable, f.id, "items"), f.items.dump()),
                f.date, f.municipality, PgArray(f.carried_items), std::to_string(by),
                std::to_string(expected_version)})
             .rows() > 0;
}

bool InstitutionRecords::Confirm(db::PgConnection& c, const Form& f, const Confirmation& k,
                                 int64_t expected_version) {
  RecordSeal seal = keys_.Load(c, SealedTier::kInstitution, f.data_key_id);
  db::Param physician;
  if (k.physician_signature) {
    physician = seal.Seal(Place(kFormsTable, f.id, "physician_signature"), *k.physician_signature);
  }
  return c.Run(kConfirm,
               {std::to_string(f.id), k.rule_hash,
                seal.Seal(Place(kFormsTable, f.id, "judgment"), k.judgment), k.digest, k.access_key,
                std::to_string(k.by), k.date, std::to_string(expected_version), k.confirmed_at,
                k.statement, k.signature, physician})
             .rows() > 0;
}

std::vector<int64_t> InstitutionRecords::ConfirmedFormIds(db::PgConnection& c, int64_t after,
                                                          int limit) {
  db::PgResult r = c.Run(kConfirmedIds, {std::to_string(after), std::to_string(limit)});
  std::vector<int64_t> ids;
  ids.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) ids.push_back(r.Int(i, 0));
  return ids;
}

int64_t InstitutionRecords::AddComment(db::PgConnection& c, const Form& f,
                                       const std::optional<std::string>& item,
                                       const std::string& body, int64_t author) {
  int64_t id = c.Run(kNextCommentId).Int(0, 0);
  RecordSeal seal = keys_.Load(c, SealedTier::kInstitution, f.data_key_id);
  c.Run(kInsertComment,
        {std::to_string(id), std::to_string(f.id), item,
         seal.Seal(Place(kCommentsTable, id, "body"), body), std::to_string(author)});
  return id;
}

std::vector<Comment> InstitutionRecords::Comments(db::PgConnection& c, const Form& f) {
  db::PgResult r = c.Run(kComments, {std::to_string(f.id)});
  std::vector<Comment> out;
  if (r.rows() == 0) return out;
  RecordSeal seal = keys_.Load(c, SealedTier::kInstitution, f.data_key_id);
  for (int i = 0; i < r.rows(); ++i) {
    int64_t id = r.Int(i, 0);
    out.push_back({id, r.Optional(i, 1), seal.Open(Place(kCommentsTable, id, "body"), r.Text(i, 2)),
                   r.Int(i, 3), r.Text(i, 4)});
  }
  return out;
}

// ------------------------------------------------------------------ municipality

bool MunicipalityRecords::Receive(db::PgConnection& c, const Application& a, int64_t received_by) {
  db::Transaction tx(c);
  if (c.Run(kApplicationExists, {a.access_key}).rows() > 0) return false;
  int64_t id = c.Run(kNextApplicationId).Int(0, 0);
  RecordSeal seal = keys_.Create(c, SealedTier::kMunicipality);
  db::PgResult r = c.Run(
      kInsertApplication,
      {std::to_string(id), a.access_key, a.municipality, a.disease, std::to_string(seal.key_id()),
       seal.Seal(Place(kApplicationsTable, id, "patient"), a.patient.dump()),
       seal.Seal(Place(kApplicationsTable, id, "items"), a.items.dump()),
       seal.Seal(Place(kApplicationsTable, id, "judgment"), a.judgment.dump()), a.rule_hash,
       a.digest, a.institution, a.designation, std::to_string(received_by)});
  if (r.Affected() == 0) return false;  // received by someone else meanwhile
  tx.Commit();
  return true;
}

std::optional<Application> MunicipalityRecords::Load(db::PgConnection& c,
                                                     const std::string& access_key) {
  db::PgResult r = c.Run(kApplication, {access_key});
  if (r.rows() == 0) return std::nullopt;
  Application a;
  a.id = r.Int(0, 0);
  a.data_key_id = r.Int(0, 1);
  RecordSeal seal = keys_.Load(c, SealedTier::kMunicipality, a.data_key_id);
  a.access_key = r.Text(0, 2);
  a.municipality = r.Text(0, 3);
  a.disease = r.Text(0, 4);
  a.patient =
      ordered_json::parse(seal.Open(Place(kApplicationsTable, a.id, "patient"), r.Text(0, 5)));
  a.items = ordered_json::parse(seal.Open(Place(kApplicationsTable, a.id, "items"), r.Text(0, 6)));
  a.judgment =
      ordered_json::parse(seal.Open(Place(kApplicationsTable, a.id, "judgment"), r.Text(0, 7)));
  a.rule_hash = r.Text(0, 8);
  a.digest = r.Text(0, 9);
  a.institution = r.Text(0, 10);
  a.designation = r.Text(0, 11);
  a.received_at = r.Text(0, 12);
  a.decision = r.Optional(0, 13);
  if (!r.IsNull(0, 14)) {
    a.decision_reason =
        seal.Open(Place(kApplicationsTable, a.id, "decision_reason"), r.Text(0, 14));
  }
  a.valid_from = r.Optional(0, 15);
  a.valid_until = r.Optional(0, 16);
  a.consent = r.Bool(0, 17);
  return a;
}

bool MunicipalityRecords::Decide(db::PgConnection& c, const Application& a,
                                 const std::string& decision,
                                 const std::optional<std::string>& reason, int64_t by) {
  db::Param sealed;
  if (reason) {
    RecordSeal seal = keys_.Load(c, SealedTier::kMunicipality, a.data_key_id);
    sealed = seal.Seal(Place(kApplicationsTable, a.id, "decision_reason"), *reason);
  }
  return c.Run(kDecide, {std::to_string(a.id), decision, sealed, std::to_string(by)}).Affected() >
         0;
}

bool MunicipalityRecords::RecordConsent(db::PgConnection& c, const std::string& access_key,
                                        const std::string& municipality) {
  return c.Run(kConsent, {access_key, municipality}).Affected() > 0;
}

// ------------------------------------------------------------------ national

void NationalRecords::Register(db::PgConnection& c, const Registration& r,
                               const ordered_json& items) {
  db::Transaction tx(c);
  if (c.Run(kRegistrationExists, {r.access_key}).rows() > 0) return;
  int64_t id = c.Run(kNextRegistrationId).Int(0, 0);
  RecordSeal seal = keys_.Create(c, SealedTier::kNational);
  db::PgResult done =
      c.Run(kInsertRegistration,
            {std::to_string(id), r.access_key, r.disease, r.birth_year_month, r.sex,
             std::to_string(seal.key_id()),
             seal.Seal(Place(kRegistrationsTable, id, "items"), items.dump()),
             seal.Seal(Place(kRegistrationsTable, id, "judgment"), r.judgment.dump()), r.rule_hash,
             r.municipality});
  if (done.Affected() > 0) tx.Commit();
}

std::vector<Registration> NationalRecords::List(db::PgConnection& c,
                                                const std::optional<std::string>& disease) {
  db::PgResult r = c.Run(kRegistrations, {disease});
  std::vector<Registration> out;
  for (int i = 0; i < r.rows(); ++i) {
    int64_t id = r.Int(i, 9);
    RecordSeal seal = keys_.Load(c, SealedTier::kNational, r.Int(i, 4));
    out.push_back(
        {r.Text(i, 0), r.Text(i, 1), r.Text(i, 2), r.Text(i, 3),
         ordered_json::parse(seal.Open(Place(kRegistrationsTable, id, "judgment"), r.Text(i, 5))),
         r.Text(i, 6), r.Text(i, 7), r.Text(i, 8)});
  }
  return out;
}

}  // namespace kijun::server
