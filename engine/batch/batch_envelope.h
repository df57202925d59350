#pragma once

// Reads a form's envelope (id, disease, variant, date, items) from a line
// parsed by simdjson, for the batch path. Takes only envelopes the
// reference reader (engine/form_envelope.h) reads without an error and
// reads them the same way; on anything else it says no, and the caller
// reads the line the reference way, which words the error.

#include <simdjson.h>

#include <string>

#include "engine/judgment.h"

namespace kijun::engine::batch {

// False when the line needs the reference reader. `items` is the value of
// "items" when `has_items` (a line without one has no answers).
bool ReadBatchEnvelope(simdjson::dom::element line, FormInput& form, simdjson::dom::element& items,
                       bool& has_items);

// Parses one JSONL line with `parser` and reads its envelope: false when the
// line needs the reference path (it holds an escape — so strings never need
// unescaping here —, is not valid JSON, or its envelope is not plain).
// `items` lives until the parser's next parse. A line with simdjson's
// padding readable after it (engine/batch/json_line_reader.h) is parsed in
// place; any other is first copied into the parser.
bool ReadBatchLine(simdjson::dom::parser& parser, simdjson::padded_string_view text,
                   FormInput& form, simdjson::dom::element& items, bool& has_items);
bool ReadBatchLine(simdjson::dom::parser& parser, const std::string& text, FormInput& form,
                   simdjson::dom::element& items, bool& has_items);

}  // namespace kijun::engine::batch
