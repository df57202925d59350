#include "server/physician_signature.h"

namespace kijun::server {

ConfirmationEnvelopes::ConfirmationEnvelopes(const std::string& certificate, const std::string& key,
                                             const std::string& ca, const std::string& crl)
    : registry_(CertifiedKey::ReadPemFiles(certificate, key)) {
  trust_.authorities = Certificate::ReadPemBundle(ca);
  if (!crl.empty()) trust_.revocation_lists = RevocationList::ReadPemFile(crl);
  trust_.revocation = RevocationCheck::kRequired;
}

OpenedEnvelope ConfirmationEnvelopes::Open(std::string_view envelope) const {
  return server::Open(envelope, registry_, trust_);
}

PhysicianSignatureCheck StoredPhysicianSignatureCheck(const std::string& ca) {
  SignerTrust trust;
  trust.authorities = Certificate::ReadPemBundle(ca);
  trust.revocation = RevocationCheck::kSkipped;
  trust.at_signing_time = true;
  return [trust](const std::string& signed_data, std::string& content,
                 std::string& designation) -> std::string {
    try {
      OpenedEnvelope opened = VerifySignedData(signed_data, trust);
      content = opened.payload;
      designation = opened.signer.designation_number;
      return "";
    } catch (const EnvelopeError& e) {
      return std::string(e.name()) + ": " + e.detail();
    }
  };
}

int EnvelopeErrorStatus(EnvelopeErrorCode code) {
  switch (code) {
    case EnvelopeErrorCode::kSignerNotTrusted:
    case EnvelopeErrorCode::kSignerRevoked:
    case EnvelopeErrorCode::kSignerExpired:
    case EnvelopeErrorCode::kSignerNotForSigning:
    case EnvelopeErrorCode::kNoDesignation:
    case EnvelopeErrorCode::kNotConfirmingPhysician:
      return 403;
    case EnvelopeErrorCode::kBadCredentials:
    case EnvelopeErrorCode::kRevocationUnknown:
      return 500;  // the registry's own key, CA or CRL is at fault
    default:
      return 400;
  }
}

}  // namespace kijun::server
