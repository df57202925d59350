#pragma once

// The physician's own signature on a confirmation: the envelope a hospital
// system sends to confirm a form (docs/envelope.md) is opened with the
// registry's key and its signer checked against the registry CA and its
// CRL; the SignedData inside is kept, and can be checked again later
// (AuthorshipVerifier) at its signing time.

#include <string>
#include <string_view>

#include "server/authorship_verifier.h"
#include "server/envelope.h"

namespace kijun::server {

class ConfirmationEnvelopes {
 public:
  // The registry's certificate and key (the recipient), the CA that issues
  // physician certificates and its CRL ("" = none: every envelope is then
  // refused as revocation_unknown).
  ConfirmationEnvelopes(const std::string& certificate, const std::string& key,
                        const std::string& ca, const std::string& crl);

  // Throws EnvelopeError with the first check that fails.
  OpenedEnvelope Open(std::string_view envelope) const;

 private:
  CertifiedKey registry_;
  SignerTrust trust_;
};

// Re-checks a stored SignedData against the CA in `ca` (PEM), at its
// signing time, without revocation (a later revocation does not undo a
// signature made while the certificate was good).
PhysicianSignatureCheck StoredPhysicianSignatureCheck(const std::string& ca);

// The HTTP status for a refused envelope: 400 when the envelope itself is
// bad, 403 when its signer may not confirm.
int EnvelopeErrorStatus(EnvelopeErrorCode code);

}  // namespace kijun::server
