#include "server/api.h"

namespace kijun::server {

nlohmann::ordered_json ApiError::ToJson() const {
  nlohmann::ordered_json error;
  error["code"] = code_;
  error["ja"] = ja_;
  error["en"] = en_;
  if (!where_.empty()) error["where"] = where_;
  return {{"error", error}};
}

nlohmann::json ParseJsonObject(const std::string& body) {
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    throw ApiError(400, "malformed_json",
                   "JSON として読めません (" + std::to_string(e.byte) + " バイト目)",
                   "malformed JSON at byte " + std::to_string(e.byte), "");
  }
  if (!value.is_object()) {
    throw ApiError(400, "not_an_object", "本文は JSON オブジェクトにしてください",
                   "the body must be a JSON object");
  }
  return value;
}

std::string RequireString(const nlohmann::json& object, const std::string& name,
                          size_t max_length) {
  auto it = object.find(name);
  if (it == object.end()) {
    throw ApiError(400, "missing_field", "「" + name + "」がありません", "missing \"" + name + "\"",
                   "/" + name);
  }
  if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
    throw ApiError(400, "wrong_type", "「" + name + "」は空でない文字列にしてください",
                   "\"" + name + "\" must be a non-empty string", "/" + name);
  }
  const std::string& value = it->get_ref<const std::string&>();
  if (value.size() > max_length) {
    throw ApiError(400, "too_long",
                   "「" + name + "」が長すぎます (" + std::to_string(max_length) + " バイトまで)",
                   "\"" + name + "\" is longer than " + std::to_string(max_length) + " bytes",
                   "/" + name);
  }
  return value;
}

}  // namespace kijun::server
