#include "server/authorship.h"

#include <nlohmann/json.hpp>

#include "dsl/sha256.h"

namespace kijun::server {

using nlohmann::json;

std::string ContentDigest(const Form& f, const Patient& p, const std::string& date,
                          const std::string& rule_hash, const std::string& institution,
                          const std::string& physician) {
  // nlohmann::json (not ordered_json) keeps object keys sorted: the
  // serialisation is canonical.
  json canonical = {{"disease", f.disease},       {"variant", f.variant},  {"date", date},
                    {"items", f.items},           {"patient", p.ToJson()}, {"rule_hash", rule_hash},
                    {"institution", institution}, {"physician", physician}};
  canonical["patient"].erase("id");
  return "sha256:" + dsl::Sha256Hex(canonical.dump());
}

std::string AuthorshipStatement(const AuthorshipFacts& facts) {
  return "kijun-authorship/1\n"
         "form: " +
         std::to_string(facts.form_id) + "\ncontent: " + facts.content_digest +
         "\nrule: " + facts.rule_hash + "\nphysician: " + facts.designation + " (user " +
         std::to_string(facts.physician_user) + ")\ninstitution: " + facts.institution +
         "\nconfirmed: " + facts.confirmed_at + "\nphysician-signature: " +
         (facts.physician_signature_digest.empty() ? "none (server key, authenticated session)"
                                                   : facts.physician_signature_digest) +
         "\n";
}

std::string ConfirmationPayload(const Form& f, const std::string& date) {
  json payload = {{"form", f.id},         {"version", f.version}, {"disease", f.disease},
                  {"variant", f.variant}, {"date", date},         {"items", f.items}};
  return payload.dump();
}

}  // namespace kijun::server
