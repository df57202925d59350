#include "engine/batch/batch_envelope.h"

#include "dsl/calendar.h"

namespace kijun::engine::batch {

using simdjson::dom::element_type;

bool ReadBatchEnvelope(simdjson::dom::element line, FormInput& form, simdjson::dom::element& items,
                       bool& has_items) {
  if (line.type() != element_type::OBJECT) return false;
  form.id.clear();
  form.disease.clear();
  form.variant.clear();
  form.date.reset();
  has_items = false;
  bool has_disease = false;
  simdjson::dom::element date;
  bool has_date = false;
  // Every key is looked at, the last of a repeated one winning, as the
  // reference parser keeps the last.
  simdjson::dom::object fields = line.get_object().value_unsafe();
  for (simdjson::dom::key_value_pair field : fields) {
    std::string_view key = field.key;
    element_type type = field.value.type();
    if (key == "id") {
      // A non-text id is copied as its JSON text by the reference reader.
      if (type != element_type::STRING) return false;
      form.id = field.value.get_string().value_unsafe();
    } else if (key == "disease") {
      has_disease = type == element_type::STRING;
      form.disease = has_disease ? std::string_view(field.value.get_string().value_unsafe())
                                 : std::string_view();
    } else if (key == "variant") {
      form.variant = type == element_type::STRING
                         ? std::string_view(field.value.get_string().value_unsafe())
                         : std::string_view();
    } else if (key == "date") {
      date = field.value;
      has_date = true;
    } else if (key == "items") {
      items = field.value;
      has_items = true;
    }
  }
  if (!has_disease) return false;
  if (has_date && date.type() != element_type::NULL_VALUE) {
    if (date.type() != element_type::STRING) return false;
    form.date = dsl::ParseDate(date.get_string().value_unsafe());
    if (!form.date) return false;
  }
  return true;
}

bool ReadBatchLine(simdjson::dom::parser& parser, simdjson::padded_string_view text,
                   FormInput& form, simdjson::dom::element& items, bool& has_items) {
  if (text.find('\\') != std::string_view::npos) return false;
  simdjson::dom::element line;
  auto parsed = text.padding() >= simdjson::SIMDJSON_PADDING
                    ? parser.parse(text)
                    : parser.parse(text.data(), text.size(), true);
  if (parsed.get(line) != simdjson::SUCCESS) return false;
  return ReadBatchEnvelope(line, form, items, has_items);
}

bool ReadBatchLine(simdjson::dom::parser& parser, const std::string& text, FormInput& form,
                   simdjson::dom::element& items, bool& has_items) {
  return ReadBatchLine(parser, simdjson::padded_string_view(text), form, items, has_items);
}

}  // namespace kijun::engine::batch
