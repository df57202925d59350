#pragma once

// Writes the result line of a judgment as JSON text directly, without
// building a JSON document: the same bytes as
// JudgmentToJson(rules, judgment).dump(-1, ' ', false) (tested on random
// forms of every rule file), several times faster, for `kijun judge` and
// the registry's instant check.

#include <string>

#include "engine/ir.h"
#include "engine/judgment.h"

namespace kijun::engine {

// Appends the judgment's JSON (no newline) to `out`.
void WriteJudgmentJson(const ir::RuleSet& rules, const Judgment& judgment, std::string& out,
                       Explanation explanation = Explanation::kWorded);

// Pieces of a result line, shared with the batch path that writes results
// straight from the native verdict (engine/batch/).
void WriteMessageJson(const Message& message, std::string& out);
// A calculated value: a number, true/false, text or null when unknown.
void WriteCalcValueJson(const ir::Calc& calc, const Value& value, std::string& out);
const char* ClassificationKindName(ir::ClassificationKind kind);
// T, F or U (unknown): the letters of a compact result's "truths".
inline char TruthLetter(Truth truth) {
  return truth == Truth::kUnknown ? 'U' : truth == Truth::kTrue ? 'T' : 'F';
}
// true, false or null (unknown): a truth as a JSON value.
const char* TruthText(Truth truth);

// Appends `text` as a JSON string (quoted, escaped as nlohmann::json dumps
// it: UTF-8 kept, control characters escaped).
void WriteJsonString(const std::string& text, std::string& out);

}  // namespace kijun::engine
