#pragma once

// Judging without storing (the physicians' instant check, POST /check, which
// the workflow serves after signing in), the list of diseases the registry
// knows, and each disease's form schema.
// Thread-safe: the rule library is only read, and each call makes its own
// native judge.

#include <nlohmann/json.hpp>

#include "engine/ir.h"
#include "engine/judgment.h"
#include "plugins/disease_registry.h"
#include "server/api.h"
#include "server/router.h"

namespace kijun::server {

// A disease version in use by a request, with the rule library (snapshot)
// it belongs to, which stays alive — and keeps serving the request — even if
// a new version is published meanwhile.
struct RulesInUse {
  std::shared_ptr<const plugins::RuleLibrary> library;
  const engine::ir::RuleSet* rules = nullptr;
  const engine::ir::RuleSet& operator*() const { return *rules; }
  const engine::ir::RuleSet* operator->() const { return rules; }
};

class CheckService {
 public:
  explicit CheckService(const plugins::DiseaseRegistry& registry) : registry_(registry) {}

  void Register(Router& router) const;

  // Validates, calculates and judges `form` (docs/forms.md) with the
  // version in force on its date. Sets `rules` to that version. Throws
  // ApiError (400 malformed, 404 unknown disease).
  engine::Judgment Judge(const nlohmann::json& form, RulesInUse& rules) const;

  // The disease version for "programme/number" on `date` in the serving
  // snapshot; 404 when none.
  RulesInUse Find(const std::string& disease, std::optional<int64_t> date) const;

 private:
  ApiResponse Diseases(const ApiRequest& request) const;
  ApiResponse FormSchema(const ApiRequest& request) const;

  const plugins::DiseaseRegistry& registry_;
};

}  // namespace kijun::server
