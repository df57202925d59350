#include "engine/batch/frame_binder.h"

#include <algorithm>
#include <cmath>

#include "dsl/calendar.h"
#include "dsl/source_file.h"
#include "engine/value.h"

namespace kijun::engine::batch {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr uint8_t kUnknownTruth = static_cast<uint8_t>(Truth::kUnknown);
constexpr double kLargestExactInteger = 9007199254740992.0;  // 2^53

bool InRange(const ir::ItemSchema& s, double v) {
  return !((s.min && v < *s.min) || (s.max && v > *s.max));
}

bool IsUnknownWord(element v) {
  return v.type() == element_type::STRING && v.get_string().value_unsafe() == "不明";
}

// The option of a single choice, as the reference binding's FindOption
// finds it (an integer code, or the label in either language).
const ir::ChoiceOption* FindOption(const ir::ItemSchema& s, element v) {
  element_type type = v.type();
  for (const auto& o : s.options) {
    if (type == element_type::INT64 && v.get_int64().value_unsafe() == o.code) return &o;
    if (type == element_type::STRING) {
      std::string_view text = v.get_string().value_unsafe();
      if (text == o.label || (!o.label_en.empty() && text == o.label_en)) return &o;
    }
  }
  return nullptr;
}

// A truth from an 該当/非該当 or あり/なし answer: true, 1 or `yes`; false,
// 2 or `no`; 3 is 不明. Anything else is not on the batch path.
bool TruthAnswer(element v, std::string_view yes, std::string_view no, uint8_t& truth) {
  switch (v.type()) {
    case element_type::BOOL:
      truth = v.get_bool().value_unsafe() ? 1 : 0;
      return true;
    case element_type::INT64: {
      int64_t code = v.get_int64().value_unsafe();
      if (code < 1 || code > 3) return false;
      truth = code == 1 ? 1 : code == 2 ? 0 : kUnknownTruth;
      return true;
    }
    case element_type::STRING: {
      std::string_view text = v.get_string().value_unsafe();
      if (text != yes && text != no) return false;
      truth = text == yes ? 1 : 0;
      return true;
    }
    default:
      return false;
  }
}

// A number simdjson read as a double, unless it is -0 (which the reference
// parser may read as the integer 0).
bool PlainDouble(element v, double& d) {
  d = v.get_double().value_unsafe();
  return !(d == 0 && std::signbit(d));
}

}  // namespace

FrameBinder::FrameBinder(const ir::RuleSet& rules) : rules_(rules) {
  for (size_t slot = 0; slot < rules.items.size(); ++slot) {
    if (rules.items[slot].group < 0) keys_.emplace_back(rules.items[slot].name, int(slot));
  }
  for (const auto& group : rules.groups) keys_.emplace_back(group.name, -1);
  std::sort(keys_.begin(), keys_.end());
  texts_.resize(rules.items.size());
  codes_.resize(rules.items.size());
}

int FrameBinder::Slot(std::string_view key) {
  if (cursor_ < keys_.size() && keys_[cursor_].first == key) return keys_[cursor_++].second;
  auto it = std::lower_bound(keys_.begin(), keys_.end(), key,
                             [](const auto& entry, std::string_view k) { return entry.first < k; });
  if (it == keys_.end() || it->first != key) return -2;
  cursor_ = size_t(it - keys_.begin()) + 1;
  return it->second;
}

bool FrameBinder::Bind(const element* items, jit::FrameStorage& frame,
                       std::vector<AnswerState>& states) {
  states.assign(rules_.items.size(), AnswerState::kMissing);
  if (items == nullptr || items->type() == element_type::NULL_VALUE) return true;
  if (items->type() != element_type::OBJECT) return false;
  jit::FrameStorage::ItemArrays arrays = frame.items();
  seen_.assign(rules_.items.size(), 0);
  cursor_ = 0;
  simdjson::dom::object answers = items->get_object().value_unsafe();
  for (simdjson::dom::key_value_pair field : answers) {
    int slot = Slot(field.key);
    // An unknown key (a warning) or a repeated group: the reference path.
    if (slot < 0) return false;
    // A key given twice: the reference parser keeps the last one.
    if (seen_[size_t(slot)] != 0) return false;
    seen_[size_t(slot)] = 1;
    element answer = field.value;
    if (answer.type() == element_type::NULL_VALUE) continue;
    const ir::ItemSchema& schema = rules_.items[size_t(slot)].schema;
    if (schema.kind != ir::ItemKind::kText && IsUnknownWord(answer)) {
      states[size_t(slot)] = AnswerState::kUnknown;
      continue;
    }
    if (!BindAnswer(slot, answer, arrays)) return false;
    states[size_t(slot)] = AnswerState::kGiven;
  }
  return true;
}

bool FrameBinder::Scalar(const ir::ItemSchema& s, element v, double& number, uint8_t& truth) {
  switch (s.kind) {
    case ir::ItemKind::kInteger: {
      if (v.type() == element_type::INT64) {
        number = double(v.get_int64().value_unsafe());
      } else if (v.type() == element_type::DOUBLE) {
        if (!PlainDouble(v, number) || std::floor(number) != number) return false;
      } else {
        return false;
      }
      return std::fabs(number) <= kLargestExactInteger && InRange(s, number);
    }
    case ir::ItemKind::kDecimal: {
      if (v.type() == element_type::INT64) {
        number = double(v.get_int64().value_unsafe());
      } else if (v.type() != element_type::DOUBLE || !PlainDouble(v, number)) {
        return false;
      }
      if (std::fabs(RoundHalfAway(number, s.places) - number) >
          1e-9 * std::max(1.0, std::fabs(number))) {
        return false;
      }
      return InRange(s, number);
    }
    case ir::ItemKind::kAnswer:
      return TruthAnswer(v, "該当", "非該当", truth);
    case ir::ItemKind::kYesNo:
      return TruthAnswer(v, "あり", "なし", truth);
    case ir::ItemKind::kChoice: {
      const ir::ChoiceOption* o = FindOption(s, v);
      if (o == nullptr) return false;
      number = double(o->code);
      return true;
    }
    case ir::ItemKind::kDate:
    case ir::ItemKind::kYearMonth: {
      if (v.type() != element_type::STRING) return false;
      std::string_view text = v.get_string().value_unsafe();
      auto n = s.kind == ir::ItemKind::kDate ? dsl::ParseDate(text) : dsl::ParseYearMonth(text);
      if (!n) return false;
      number = double(*n);
      return true;
    }
    case ir::ItemKind::kText: {
      // Laid out like an unanswered item (compiled rules do not read
      // texts of items); only the limits are checked.
      if (v.type() != element_type::STRING) return false;
      std::string_view text = v.get_string().value_unsafe();
      int lines = 1 + int(std::count(text.begin(), text.end(), '\n'));
      return !(s.max_chars > 0 && dsl::CodePointCount(text) > uint32_t(s.max_chars)) &&
             !(s.max_lines > 0 && lines > s.max_lines);
    }
    default:
      return false;
  }
}

bool FrameBinder::BindAnswer(int slot, element answer, jit::FrameStorage::ItemArrays& frame) {
  const ir::ItemSchema& s = rules_.items[size_t(slot)].schema;
  auto at = size_t(slot);
  switch (s.kind) {
    case ir::ItemKind::kChoices: {
      if (answer.type() != element_type::ARRAY) return false;
      uint64_t set = 0;
      simdjson::dom::array chosen = answer.get_array().value_unsafe();
      codes_[at].clear();
      for (element el : chosen) {
        const ir::ChoiceOption* o = FindOption(s, el);
        if (o == nullptr) return false;
        codes_[at].push_back(double(o->code));
        for (size_t i = 0; i < s.options.size() && i < 64; ++i) {
          if (s.options[i].code == o->code) set |= uint64_t{1} << i;
        }
      }
      // As FrameStorage encodes a multiple choice (bits only up to 53 options).
      frame.lo[at] = frame.hi[at] = s.options.size() > 53 ? 0 : static_cast<double>(set);
      frame.truth[at] = 1;
      return true;
    }
    case ir::ItemKind::kList: {
      if (answer.type() != element_type::ARRAY) return false;
      simdjson::dom::array list = answer.get_array().value_unsafe();
      if (int(list.size()) != s.list_size) return false;
      const ir::ItemSchema& element_schema = s.element_schema.front();
      auto e = size_t(frame.element_start[at]);
      for (element el : list) {
        if (el.type() != element_type::NULL_VALUE && !IsUnknownWord(el)) {
          double number = 0;
          uint8_t truth = kUnknownTruth;
          if (!Scalar(element_schema, el, number, truth)) return false;
          if (element_schema.kind == ir::ItemKind::kAnswer ||
              element_schema.kind == ir::ItemKind::kYesNo) {
            frame.element_truth[e] = truth;
          } else if (element_schema.kind != ir::ItemKind::kText) {
            frame.element_lo[e] = frame.element_hi[e] = number;
          }
        }
        ++e;
      }
      return true;
    }
    case ir::ItemKind::kGroup:
      return false;
    default: {
      double number = 0;
      uint8_t truth = kUnknownTruth;
      if (!Scalar(s, answer, number, truth)) return false;
      if (s.kind == ir::ItemKind::kAnswer || s.kind == ir::ItemKind::kYesNo) {
        frame.truth[at] = truth;
      } else if (s.kind == ir::ItemKind::kText) {
        texts_[at] = answer.get_string().value_unsafe();
      } else {
        frame.lo[at] = frame.hi[at] = number;
      }
      return true;
    }
  }
}

}  // namespace kijun::engine::batch
