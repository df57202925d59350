#pragma once

// Checks that confirmed forms are still what their physician confirmed: the
// stored content (decrypted) gives the stored content digest, the stored
// authorship statement is the one those facts give, the server's signature
// over it holds, and — when the physician signed an envelope — the
// physician's CMS signature holds over the confirmation payload of this
// form. Used on demand (`kijun-admin forms verify`) and by the server's
// periodic sweep.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "server/db/pg.h"
#include "server/record_keys.h"
#include "server/server_signer.h"
#include "server/workflow_records.h"

namespace kijun::server {

struct AuthorshipFinding {
  int64_t form_id = 0;
  std::string what;  // bilingual
};

// Verifies a physician's SignedData (DER): "" when it holds, with the signed
// content in `content` and the signer's designation number in
// `designation`; else the reason.
using PhysicianSignatureCheck = std::function<std::string(
    const std::string& signed_data, std::string& content, std::string& designation)>;

class AuthorshipVerifier {
 public:
  AuthorshipVerifier(RecordKeys& keys, const ServerSignatureChecker& server,
                     PhysicianSignatureCheck physician = {})
      : records_(keys), server_(server), physician_(std::move(physician)) {}

  // "" when the form is intact, else what is wrong. `institution` reads the
  // institution tier, `registry` the institutions and users.
  std::string VerifyForm(db::PgConnection& institution, db::PgConnection& registry,
                         int64_t form_id);

  // Every confirmed form; `checked` counts them.
  std::vector<AuthorshipFinding> VerifyAll(db::PgConnection& institution,
                                           db::PgConnection& registry, int64_t& checked);

 private:
  InstitutionRecords records_;
  const ServerSignatureChecker& server_;
  PhysicianSignatureCheck physician_;
};

}  // namespace kijun::server
