#include "engine/form_envelope.h"

#include "dsl/calendar.h"

namespace kijun::engine {

bool ReadFormEnvelope(const nlohmann::json& line, FormInput& form, std::string& error_ja,
                      std::string& error_en) {
  if (!line.is_object()) {
    error_ja = "フォームは JSON オブジェクトにしてください";
    error_en = "a form must be a JSON object";
    return false;
  }
  if (auto it = line.find("id"); it != line.end()) {
    form.id = it->is_string() ? it->get<std::string>() : it->dump();
  }
  auto disease = line.find("disease");
  if (disease == line.end() || !disease->is_string()) {
    error_ja = "「disease」(例: \"指定難病/6\") がありません";
    error_en = "missing \"disease\" (e.g. \"指定難病/6\")";
    return false;
  }
  form.disease = disease->get<std::string>();
  if (auto it = line.find("variant"); it != line.end() && it->is_string())
    form.variant = it->get<std::string>();
  if (auto it = line.find("date"); it != line.end() && !it->is_null()) {
    auto days = it->is_string() ? dsl::ParseDate(it->get<std::string>()) : std::nullopt;
    if (!days) {
      error_ja = "「date」は実在する日付 \"YYYY-MM-DD\" にしてください";
      error_en = "\"date\" must be a real date \"YYYY-MM-DD\"";
      return false;
    }
    form.date = days;
  }
  return true;
}

}  // namespace kijun::engine
