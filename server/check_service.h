#pragma once

// Judging without storing (the physicians' instant check, POST /check, which
// the workflow serves after signing in), the list of diseases the registry
// knows, and each disease's form schema.
// Thread-safe: the rule library is only read, and each call makes its own
// native judge.

#include <nlohmann/json.hpp>

#include "engine/ir.h"
#include "engine/judgment.h"
#include "plugins/rule_library.h"
#include "server/api.h"
#include "server/router.h"

namespace kijun::server {

class CheckService {
 public:
  explicit CheckService(const plugins::RuleLibrary& library) : library_(library) {}

  void Register(Router& router) const;

  // Validates, calculates and judges `form` (docs/forms.md) with the
  // version in force on its date. Sets `rules` to that version. Throws
  // ApiError (400 malformed, 404 unknown disease).
  engine::Judgment Judge(const nlohmann::json& form, const engine::ir::RuleSet*& rules) const;

  // The disease version for "programme/number" on `date`; 404 when none.
  const engine::ir::RuleSet& Find(const std::string& disease, std::optional<int64_t> date) const;

 private:
  ApiResponse Diseases(const ApiRequest& request) const;
  ApiResponse FormSchema(const ApiRequest& request) const;

  const plugins::RuleLibrary& library_;
};

}  // namespace kijun::server
