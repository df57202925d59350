#include "server/authorship_verifier.h"

#include <nlohmann/json.hpp>

#include "dsl/sha256.h"
#include "server/authorship.h"
#include "server/field_cipher.h"

namespace kijun::server {

namespace {

constexpr db::Statement kInstitutionCode = {"av_institution_code",
                                            "SELECT code FROM registry.institutions WHERE id = $1"};
constexpr db::Statement kDesignation = {
    "av_designation", "SELECT coalesce(designation_number, '') FROM registry.users WHERE id = $1"};

std::string Broken(const std::string& ja, const std::string& en) { return ja + " / " + en; }

}  // namespace

std::string AuthorshipVerifier::VerifyForm(db::PgConnection& institution,
                                           db::PgConnection& registry, int64_t form_id) {
  std::optional<Form> form;
  std::optional<Patient> patient;
  try {
    form = records_.LoadForm(institution, form_id);
    if (!form) return Broken("臨個票がありません", "the form is missing");
    patient = records_.LoadPatient(institution, form->patient_id);
    if (!patient) return Broken("患者の記録がありません", "the patient record is missing");
  } catch (const DecryptionError& e) {
    return Broken("保存された内容を復号できません",
                  std::string("stored content does not decrypt: ") + e.what());
  }
  if (form->status != "confirmed") return Broken("確定されていません", "not confirmed");
  if (!form->authorship_statement || !form->authorship_signature || !form->confirmed_at ||
      !form->digest || !form->rule_hash || !form->date) {
    return Broken("作成者の証明がありません", "no proof of authorship is stored");
  }
  db::PgResult code = registry.Run(kInstitutionCode, {std::to_string(form->institution_id)});
  db::PgResult designation = registry.Run(kDesignation, {std::to_string(form->confirmed_by)});
  if (code.rows() == 0 || designation.rows() == 0) {
    return Broken("医療機関または指定医の記録がありません",
                  "the institution or the physician record is missing");
  }
  std::string digest = ContentDigest(*form, *patient, *form->date, *form->rule_hash,
                                     code.Text(0, 0), designation.Text(0, 0));
  if (digest != *form->digest) {
    return Broken("確定後に内容が変更されています", "the content changed after confirmation (" +
                                                        digest + " ≠ " + *form->digest + ")");
  }
  AuthorshipFacts facts;
  facts.form_id = form->id;
  facts.content_digest = digest;
  facts.rule_hash = *form->rule_hash;
  facts.designation = designation.Text(0, 0);
  facts.physician_user = form->confirmed_by;
  facts.institution = code.Text(0, 0);
  facts.confirmed_at = *form->confirmed_at;
  if (form->physician_signature) {
    facts.physician_signature_digest = "sha256:" + dsl::Sha256Hex(*form->physician_signature);
  }
  if (AuthorshipStatement(facts) != *form->authorship_statement) {
    return Broken("作成者の証明が臨個票と合いません",
                  "the authorship statement does not match the stored form");
  }
  if (!server_.Verify(*form->authorship_statement, *form->authorship_signature)) {
    return Broken("サーバの署名が正しくありません",
                  "the server's signature over the authorship statement is not valid");
  }
  if (form->physician_signature) {
    if (!physician_) {
      return Broken("指定医の署名を確かめられません (CA がありません)",
                    "the physician's signature cannot be checked (no CA given)");
    }
    std::string content, signer;
    std::string reason = physician_(*form->physician_signature, content, signer);
    if (!reason.empty()) {
      return Broken("指定医の署名が正しくありません", "the physician's signature: " + reason);
    }
    if (signer != facts.designation) {
      return Broken("署名した指定医が確定した指定医と違います",
                    "signed by physician " + signer + ", confirmed by " + facts.designation);
    }
    // The payload was signed at the version before confirmation.
    Form signed_form = *form;
    signed_form.version = form->version - 1;
    nlohmann::json signed_payload = nlohmann::json::parse(content, nullptr, false);
    if (signed_payload != nlohmann::json::parse(ConfirmationPayload(signed_form, *form->date))) {
      return Broken("指定医が署名した内容と保存された内容が違います",
                    "the stored content is not what the physician signed");
    }
  }
  return "";
}

std::vector<AuthorshipFinding> AuthorshipVerifier::VerifyAll(db::PgConnection& institution,
                                                             db::PgConnection& registry,
                                                             int64_t& checked) {
  std::vector<AuthorshipFinding> findings;
  checked = 0;
  int64_t after = 0;
  for (;;) {
    std::vector<int64_t> ids = records_.ConfirmedFormIds(institution, after, 500);
    if (ids.empty()) return findings;
    for (int64_t id : ids) {
      ++checked;
      std::string what = VerifyForm(institution, registry, id);
      if (!what.empty()) findings.push_back({id, what});
    }
    after = ids.back();
  }
}

}  // namespace kijun::server
