#pragma once

// Proof of authorship of a confirmed form. The content digest covers the
// form as confirmed — items, patient, rule version, institution and
// physician — canonicalised (JSON with sorted keys, no spaces, UTF-8). The
// authorship statement binds that digest to the form, the physician's
// identity and the time; the server signs it with its key at confirmation,
// for the physician's authenticated session, and a physician who confirms
// with a signed envelope adds their own signature (the digest of their
// SignedData is in the statement). Any later change of the stored content,
// statement or signatures is found by AuthorshipVerifier.

#include <cstdint>
#include <string>

#include "server/workflow_records.h"

namespace kijun::server {

// "sha256:…" over the canonical content.
std::string ContentDigest(const Form& f, const Patient& p, const std::string& date,
                          const std::string& rule_hash, const std::string& institution,
                          const std::string& physician);

struct AuthorshipFacts {
  int64_t form_id = 0;
  std::string content_digest;
  std::string rule_hash;
  std::string designation;  // 指定医番号 of the confirming physician
  int64_t physician_user = 0;
  std::string institution;   // institution code
  std::string confirmed_at;  // UTC, YYYY-MM-DDTHH:MM:SSZ
  // "sha256:…" of the physician's CMS SignedData, or "" when the form was
  // confirmed in a session without an envelope.
  std::string physician_signature_digest;
};

// The text the server signs (no identifying data: digests and ids only).
std::string AuthorshipStatement(const AuthorshipFacts& facts);

// The canonical payload a physician signs in an envelope to confirm a form:
// {"date","disease","form","items","variant","version"} with sorted keys.
std::string ConfirmationPayload(const Form& f, const std::string& date);

}  // namespace kijun::server
