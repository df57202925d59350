#pragma once

// The envelope of one form (docs/forms.md): {"id", "disease", "variant",
// "date", "items"}. The answers in "items" are bound by form_binding.

#include <nlohmann/json.hpp>
#include <string>

#include "engine/judgment.h"

namespace kijun::engine {

// Reads id, disease, variant and date into `form`. False, with the reason in
// Japanese and English, when the envelope is not an object, has no disease,
// or has a date that is not a real "YYYY-MM-DD".
bool ReadFormEnvelope(const nlohmann::json& line, FormInput& form, std::string& error_ja,
                      std::string& error_en);

}  // namespace kijun::engine
