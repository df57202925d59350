#pragma once

// What judging one form produces: messages, calculated values, the level of
// every classification and the explanation of each. Both executors produce
// this same structure; the JSON and text renderings are deterministic.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/ir.h"
#include "engine/value.h"

namespace kijun::engine {

// A form as the engine sees it: which variant, the form's date and the
// answers keyed by item name (JSON text of the "items" object).
struct FormInput {
  std::string id;
  std::string disease;  // "指定難病/6"
  std::string variant;  // 新規 / 更新, "" = not given
  std::optional<int64_t> date;
};

enum class MessageSource : uint8_t { kItem, kCheck, kCalc, kForm };

struct Message {
  bool is_error = true;
  MessageSource source = MessageSource::kItem;
  std::string name;  // the item, check or calculation concerned
  std::string ja;
  std::string en;
};

// How a form answered an item.
enum class AnswerState : uint8_t { kMissing, kUnknown, kInvalid, kGiven };

// One clause of a level's condition (an operand of its top-level and/or),
// with its result and the values it read.
struct ClauseTrace {
  std::string text;
  Truth result = Truth::kUnknown;
  std::vector<std::pair<std::string, std::string>> values;  // name, value as shown
};

struct LevelTrace {
  std::string name;
  std::string label;
  Truth result = Truth::kUnknown;
  bool otherwise = false;
  std::string condition;
  std::vector<ClauseTrace> clauses;
};

struct ClassificationResult {
  ir::ClassificationKind kind = ir::ClassificationKind::kDiagnosis;
  std::string name;
  std::string label;
  int level = -1;               // the decided level, -1 when undecided or none
  std::vector<int> candidates;  // when undecided: the levels still possible
  Truth qualifies = Truth::kUnknown;
  std::vector<std::string> deciding_items;  // unknown items that would decide it
  std::vector<LevelTrace> levels;
};

struct CalcResult {
  std::string name;
  Value value;
};

// How much of the explanation a judgment carries (and its result line).
enum class Explanation : uint8_t {
  // Each level's condition and each clause with its result and the values
  // it read, as shown to people (docs/forms.md, "A result").
  kWorded,
  // Each level's and clause's result only (clause texts, conditions and
  // values read left empty), one letter each in the result line's
  // classification "truths" (docs/forms.md, "A compact result"): the
  // values read are the form's own answers, so `kijun explain` on the form
  // gives the worded explanation back.
  kTruths,
};

struct Judgment {
  std::string id;
  std::string disease;
  std::string rule_name;
  std::optional<int64_t> revision;
  std::string content_hash;
  std::string variant;
  std::vector<Message> messages;
  std::vector<CalcResult> calcs;
  std::vector<ClassificationResult> classifications;

  bool HasErrors() const;
  const ClassificationResult* Find(const std::string& name) const;
};

}  // namespace kijun::engine
