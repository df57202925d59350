#include "server/check_service.h"

#include "dsl/calendar.h"
#include "engine/form_envelope.h"
#include "engine/form_schema.h"
#include "engine/interpreter.h"
#include "engine/jit/native_judge.h"
#include "engine/judgment_render.h"

namespace kijun::server {

using nlohmann::json;
using nlohmann::ordered_json;

void CheckService::Register(Router& router) const {
  router.Add("GET", "/diseases", [this](ApiRequest& r) { return Diseases(r); });
  router.Add("GET", "/diseases/{programme}/{number}/form",
             [this](ApiRequest& r) { return FormSchema(r); });
}

RulesInUse CheckService::Find(const std::string& disease, std::optional<int64_t> date) const {
  RulesInUse in_use;
  in_use.library = registry_.Current();
  try {
    in_use.rules = in_use.library->Find(disease, date);
  } catch (const plugins::VersionLoadError& e) {
    // A superseded version that cannot be compiled again: only the forms of
    // its period are refused, saying which version.
    std::string message = e.what();
    size_t split = message.find(" / ");
    throw ApiError(503, "rules_unavailable",
                   split == std::string::npos ? message : message.substr(0, split),
                   split == std::string::npos ? message : message.substr(split + 3), "/date");
  }
  if (in_use.rules == nullptr) {
    throw ApiError(404, "unknown_disease",
                   "疾病「" + disease + "」の規則がありません (その日付に有効な版がありません)",
                   "no rules for disease '" + disease + "' on that date", "/disease");
  }
  return in_use;
}

engine::Judgment CheckService::Judge(const json& form, RulesInUse& rules) const {
  engine::FormInput input;
  std::string ja, en;
  if (!engine::ReadFormEnvelope(form, input, ja, en)) throw ApiError(400, "bad_form", ja, en);
  rules = Find(input.disease, input.date);
  auto items = form.find("items");
  if (items == form.end()) {
    throw ApiError(400, "missing_field", "「items」(回答) がありません", "missing \"items\"",
                   "/items");
  }
  if (!items->is_object()) {
    throw ApiError(400, "wrong_type", "「items」は項目名をキーとするオブジェクトにしてください",
                   "\"items\" must be an object keyed by item name", "/items");
  }
  const engine::jit::NativeRuleSet* native = rules.library->Native(rules.rules);
  if (native == nullptr) return engine::Judge(*rules, input, *items);
  engine::jit::NativeJudge judge(*rules, *native);
  return engine::Judge(*rules, input, *items, &judge);
}

ApiResponse CheckService::Diseases(const ApiRequest& /*request*/) const {
  ordered_json list = ordered_json::array();
  std::shared_ptr<const plugins::RuleLibrary> library = registry_.Current();
  for (const auto& version : library->versions()) {
    const engine::ir::RuleSet* rules = &version->rules;
    ordered_json d;
    d["disease"] = rules->DiseaseKey();
    d["name"] = rules->name_ja;
    d["name_en"] = rules->name_en;
    if (rules->revision) d["revision"] = *rules->revision;
    d["effective"] = rules->effective ? ordered_json(dsl::FormatDate(*rules->effective)) : nullptr;
    d["content_hash"] = rules->content_hash;
    list.push_back(d);
  }
  return {200, {{"generation", registry_.generation()}, {"diseases", list}}, "", ""};
}

ApiResponse CheckService::FormSchema(const ApiRequest& request) const {
  std::optional<int64_t> date;
  if (auto it = request.query.find("date"); it != request.query.end()) {
    date = dsl::ParseDate(it->second);
    if (!date) {
      throw ApiError(400, "bad_date", "「date」は実在する日付 YYYY-MM-DD にしてください",
                     "\"date\" must be a real date YYYY-MM-DD", "?date");
    }
  }
  const std::string disease = request.params.at("programme") + "/" + request.params.at("number");
  return {200, engine::FormSchemaToJson(*Find(disease, date)), "", ""};
}

}  // namespace kijun::server
