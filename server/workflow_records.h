#pragma once

// The workflow's rows in the three tiers, read and written through prepared
// statements with every identifying or clinical value sealed (record_keys.h):
//   institution.patients     identity {name, kana, birth_date, insurance_number}
//                            sealed; sex and the blind index (with the id of
//                            the index key it is under) in the clear
//   institution.forms        items and judgment sealed with the form's key
//   institution.comments     body sealed with its form's key
//   municipality.applications patient, items, judgment, decision reason sealed
//   national.registrations   items and judgment sealed
// Callers pass the connection (and hold the transaction) of the tier.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "server/db/pg.h"
#include "server/record_keys.h"

namespace kijun::server {

struct Patient {
  int64_t id = 0;
  int64_t institution_id = 0;
  std::string name, kana, birth_date, sex;
  std::optional<std::string> insurance_number;
  std::string blind_index;
  std::string blind_index_key;  // the id of the index key blind_index is under

  nlohmann::json ToJson() const;  // without the blind index
};

struct Form {
  int64_t id = 0;
  int64_t institution_id = 0;
  int64_t patient_id = 0;
  std::string disease, variant, status;
  nlohmann::json items;
  std::optional<std::string> date;
  int64_t version = 0;
  std::optional<std::string> municipality, rule_hash, judgment, digest, access_key;
  int64_t confirmed_by = 0;
  std::optional<int64_t> carried_from;
  std::vector<std::string> carried_items;
  bool carry_consent = false;
  int64_t data_key_id = 0;
  // Set on confirmation (authorship.h).
  std::optional<std::string> confirmed_at, authorship_statement, authorship_signature;
  std::optional<std::string> physician_signature;  // DER CMS SignedData, opened
};

// What confirming stores besides the status.
struct Confirmation {
  std::string rule_hash, judgment, digest, access_key, date, confirmed_at;
  std::string statement, signature;
  std::optional<std::string> physician_signature;  // DER CMS SignedData
  int64_t by = 0;
};

struct NewForm {
  int64_t institution_id = 0;
  int64_t patient_id = 0;
  std::string disease, variant;
  nlohmann::json items;
  std::optional<std::string> date;
  std::optional<int64_t> carried_from;
  std::vector<std::string> carried_items;
  bool carry_consent = false;
  int64_t created_by = 0;
};

struct Comment {
  int64_t id = 0;
  std::optional<std::string> item;
  std::string body;
  int64_t author = 0;
  std::string at;
};

struct Application {
  int64_t id = 0;
  int64_t data_key_id = 0;
  std::string access_key, municipality, disease;
  nlohmann::ordered_json patient, items, judgment;
  std::string rule_hash, digest, institution, designation, received_at;
  std::optional<std::string> decision, decision_reason, valid_from, valid_until;
  bool consent = false;
};

struct Registration {
  std::string access_key, disease, birth_year_month, sex;
  nlohmann::ordered_json judgment;
  std::string rule_hash, municipality, registered_at;
};

class InstitutionRecords {
 public:
  explicit InstitutionRecords(RecordKeys& keys) : keys_(keys) {}

  int64_t CreatePatient(db::PgConnection& c, const Patient& p, int64_t created_by);
  std::optional<Patient> LoadPatient(db::PgConnection& c, int64_t id);

  int64_t CreateForm(db::PgConnection& c, const NewForm& f);
  std::optional<Form> LoadForm(db::PgConnection& c, int64_t id);
  std::optional<int64_t> FormIdByAccessKey(db::PgConnection& c, const std::string& key);
  // The last confirmed form for this disease of any patient whose blind
  // index is one of `blind_indexes` (the patient's value under each index
  // key in use), at any institution.
  std::optional<Form> LastConfirmedForm(db::PgConnection& c,
                                        const std::vector<std::string>& blind_indexes,
                                        const std::string& disease);
  // False when the version moved on (someone else saved first).
  bool UpdateDraft(db::PgConnection& c, const Form& f, int64_t by, int64_t expected_version);
  bool Confirm(db::PgConnection& c, const Form& f, const Confirmation& confirmation,
               int64_t expected_version);
  // Ids of confirmed forms after `after`, in order (the authorship sweep).
  std::vector<int64_t> ConfirmedFormIds(db::PgConnection& c, int64_t after, int limit);

  int64_t AddComment(db::PgConnection& c, const Form& f, const std::optional<std::string>& item,
                     const std::string& body, int64_t author);
  std::vector<Comment> Comments(db::PgConnection& c, const Form& f);

 private:
  Form FormFrom(db::PgConnection& c, const db::PgResult& r, int row);
  RecordKeys& keys_;
};

class MunicipalityRecords {
 public:
  explicit MunicipalityRecords(RecordKeys& keys) : keys_(keys) {}

  // Copies an application in once; false when it was there already.
  bool Receive(db::PgConnection& c, const Application& a, int64_t received_by);
  std::optional<Application> Load(db::PgConnection& c, const std::string& access_key);
  // False when the application was decided already.
  bool Decide(db::PgConnection& c, const Application& a, const std::string& decision,
              const std::optional<std::string>& reason, int64_t by);
  bool RecordConsent(db::PgConnection& c, const std::string& access_key,
                     const std::string& municipality);

 private:
  RecordKeys& keys_;
};

class NationalRecords {
 public:
  explicit NationalRecords(RecordKeys& keys) : keys_(keys) {}

  void Register(db::PgConnection& c, const Registration& r, const nlohmann::ordered_json& items);
  std::vector<Registration> List(db::PgConnection& c, const std::optional<std::string>& disease);

 private:
  RecordKeys& keys_;
};

}  // namespace kijun::server
