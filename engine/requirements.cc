#include "engine/requirements.h"

#include <algorithm>

namespace kijun::engine {

bool SectionAsked(const ir::Item& item, const std::string& variant) {
  return item.only_variant.empty() || variant.empty() || item.only_variant == variant;
}

Requirement RequirementOf(const ir::Item& item, const std::string& variant, Truth asked,
                          AnswerState state) {
  bool answered = state != AnswerState::kMissing;
  bool required_here =
      item.required && (item.required_variants.empty() ||
                        std::find(item.required_variants.begin(), item.required_variants.end(),
                                  variant) != item.required_variants.end());
  if (asked == Truth::kTrue && required_here && !answered) return Requirement::kMissing;
  if (asked == Truth::kFalse && answered && state != AnswerState::kInvalid) {
    return Requirement::kNotAsked;
  }
  return Requirement::kMet;
}

Message RequirementMessage(const ir::Item& item, Requirement requirement) {
  std::string title = item.label.empty() || item.label == item.name
                          ? "「" + item.name + "」"
                          : "「" + item.name + " " + item.label + "」";
  if (requirement == Requirement::kMissing) {
    return Message{true, MessageSource::kItem, item.name, "必須項目" + title + "が未記入です",
                   "required item '" + item.name + "' is missing"};
  }
  return Message{false, MessageSource::kItem, item.name,
                 title + "はこの様式では記入不要ですが、値が書かれています",
                 "'" + item.name + "' is not asked on this form but has a value"};
}

}  // namespace kijun::engine
