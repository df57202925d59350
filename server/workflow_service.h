#pragma once

// The form workflow of the registry (docs/api.yaml), each step a role-checked
// API call:
//   patients and drafts at the institution (clerk, physician, administrator),
//   comments to the physician, carry-forward of the patient's last form,
//   confirmation by a physician of the institution (judged, frozen, given an
//   access key and a content digest), the print view,
//   receipt by the municipality by access key (copied to the municipality
//   tier), its decision, and the patient's consent (copied, without name or
//   insurance number, to the national tier).
// Resources of another institution or municipality answer 404, as if they
// did not exist. Patients' identity and every form's content are stored
// sealed (workflow_records.h); carry-forward finds the patient's earlier
// forms by the blind index, and one from another institution only with the
// patient's consent.

#include <nlohmann/json.hpp>

#include "server/auth_service.h"
#include "server/check_service.h"
#include "server/physician_signature.h"
#include "server/router.h"
#include "server/server_signer.h"
#include "server/tiers.h"
#include "server/workflow_records.h"

namespace kijun::server {

class WorkflowService {
 public:
  // `envelopes` opens physicians' signed confirmation envelopes; null = a
  // confirmation with an envelope is refused.
  WorkflowService(Tiers& tiers, AuthService& auth, const CheckService& check, RecordKeys& keys,
                  const ServerSigner& signer, const ConfirmationEnvelopes* envelopes)
      : tiers_(tiers),
        auth_(auth),
        check_(check),
        keys_(keys),
        signer_(signer),
        envelopes_(envelopes),
        institution_(keys),
        municipality_(keys),
        national_(keys) {}

  void Register(Router& router);

 private:
  ApiResponse CreatePatient(const ApiRequest& request);
  ApiResponse GetPatient(const ApiRequest& request);
  ApiResponse CreateForm(const ApiRequest& request);
  ApiResponse GetForm(const ApiRequest& request);
  ApiResponse EditForm(const ApiRequest& request);
  ApiResponse AddComment(const ApiRequest& request);
  ApiResponse ListComments(const ApiRequest& request);
  ApiResponse CheckForm(const ApiRequest& request);
  ApiResponse ConfirmForm(const ApiRequest& request);
  ApiResponse PrintForm(const ApiRequest& request);
  ApiResponse ReceiveApplication(const ApiRequest& request);
  ApiResponse GetApplication(const ApiRequest& request);
  ApiResponse DecideApplication(const ApiRequest& request);
  ApiResponse RecordConsent(const ApiRequest& request);
  ApiResponse ListRegistrations(const ApiRequest& request);
  ApiResponse CheckAs(const ApiRequest& request);

  // The user's institution's patient / form, or 404.
  Patient PatientOf(db::PgConnection& c, const User& user, int64_t id);
  Form FormOf(db::PgConnection& c, const User& user, int64_t id);
  // The opened envelope of a confirmation, or the ApiError that refuses it.
  OpenedEnvelope OpenConfirmationEnvelope(const std::string& text, const User& user,
                                          const Form& form, const std::string& date) const;
  // The user's municipality's application, or 404.
  Application ApplicationOf(db::PgConnection& c, const User& user, const std::string& key);

  Tiers& tiers_;
  AuthService& auth_;
  const CheckService& check_;
  RecordKeys& keys_;
  const ServerSigner& signer_;  // proof of authorship
  const ConfirmationEnvelopes* envelopes_;
  InstitutionRecords institution_;
  MunicipalityRecords municipality_;
  NationalRecords national_;
};

}  // namespace kijun::server
