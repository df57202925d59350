#include "engine/batch/batch_judge.h"

#include <algorithm>

#include "engine/form_binding.h"
#include "engine/interpreter.h"
#include "engine/jit/fault_guard.h"
#include "engine/judgment_writer.h"
#include "engine/requirements.h"

namespace kijun::engine::batch {

BatchJudge::BatchJudge(const ir::RuleSet& rules, const jit::NativeRuleSet& native)
    : rules_(rules), native_(native), binder_(rules) {
  FormInput none;
  blank_.SetItems(rules, BindForm(rules, nlohmann::json()), none, native.texts());
  verdict_.resize(size_t(native.layout().size));
  head_ = "\"disease\":";
  WriteJsonString(rules.DiseaseKey(), head_);
  head_ += ",\"rule\":{\"name\":";
  WriteJsonString(rules.name_ja, head_);
  if (rules.revision) head_ += ",\"revision\":" + std::to_string(*rules.revision);
  head_ += ",\"hash\":";
  WriteJsonString(rules.content_hash, head_);
  head_ += '}';
  auto add = [this](const Message& m) {
    std::string json;
    WriteMessageJson(m, json);
    message_json_.push_back(std::move(json));
    message_is_error_.push_back(m.is_error);
  };
  for (const auto& item : rules.items) {
    add(RequirementMessage(item, Requirement::kMissing));
    add(RequirementMessage(item, Requirement::kNotAsked));
  }
  for (const auto& check : rules.checks) {
    add({check.is_error, MessageSource::kCheck, check.name, check.message_ja, check.message_en});
  }
  for (const auto& calc : rules.calcs) {
    std::string key;
    WriteJsonString(calc.name, key);
    calc_keys_.push_back(key + ':');
  }
  for (const auto& c : rules.classifications) {
    std::string head = "{\"kind\":\"";
    head += ClassificationKindName(c.kind);
    head += "\",\"name\":";
    WriteJsonString(c.name, head);
    head += ",\"level\":";
    class_heads_.push_back(std::move(head));
    std::vector<std::string> names;
    for (const auto& level : c.levels) {
      std::string name;
      WriteJsonString(level.name, name);
      names.push_back(std::move(name));
    }
    level_names_.push_back(std::move(names));
  }
  const jit::VerdictLayout& layout = native.layout();
  for (size_t k = 0; k < rules.classifications.size(); ++k) {
    const ir::Classification& c = rules.classifications[k];
    // "T:TFU F:TT T": per level its letter, then ':' and a letter per clause
    // when it has a condition; levels separated by spaces.
    size_t length = c.levels.empty() ? 0 : c.levels.size() - 1;
    for (size_t l = 0; l < c.levels.size(); ++l) {
      length += c.levels[l].condition ? 2 + size_t(layout.clause_count[k][l]) : 1;
    }
    truths_length_.push_back(length);
  }
}

bool BatchJudge::Judge(const FormInput& form, const simdjson::dom::element* items,
                       std::string& out) {
  // An unknown variant is a message the reference path words.
  if (!form.variant.empty() && !rules_.variants.empty() &&
      std::find(rules_.variants.begin(), rules_.variants.end(), form.variant) ==
          rules_.variants.end()) {
    return false;
  }
  if (native_.faulted()) return false;
  frame_.StartFrom(blank_, form);
  if (!binder_.Bind(items, frame_, states_)) return false;
  // A fault in the native code: the reference path judges this form (and
  // every later one) on the interpreter and reports it.
  jit::NativeJudgeFunction judge = native_.Judge();
  if (!jit::RunGuarded([&] { judge(&frame_.mutable_frame(), verdict_.data()); })) return false;
  if (!frame_.errors().empty()) return false;
  calcs_.clear();
  for (size_t slot = 0; slot < rules_.calcs.size(); ++slot) {
    if (rules_.calcs[slot].kind == ir::ValueKind::kList) return false;
    calcs_.push_back(CalcValue(int(slot), form));
  }
  if (Decide() && !Deciding(form)) return false;
  Requirements(form);
  Write(form, out);
  return true;
}

bool BatchJudge::Deciding(const FormInput& form) {
  if (!Rebuild(bound_)) return false;
  const jit::VerdictLayout& layout = native_.layout();
  judged_.resize(rules_.classifications.size());
  for (size_t k = 0; k < rules_.classifications.size(); ++k) {
    const ir::Classification& c = rules_.classifications[k];
    ClassificationResult& r = judged_[k];
    r.level = levels_[k];
    r.candidates = candidates_[k];
    r.qualifies = qualifies_[k];
    r.deciding_items.clear();
    r.levels.resize(c.levels.size());
    for (size_t l = 0; l < c.levels.size(); ++l) {
      r.levels[l].result = c.levels[l].condition
                               ? static_cast<Truth>(verdict_[size_t(layout.level[k][l])])
                               : Truth::kTrue;
    }
  }
  if (!AddDecidingItems(rules_, form, bound_, calcs_, judged_)) return false;
  for (size_t k = 0; k < judged_.size(); ++k) deciding_[k] = judged_[k].deciding_items;
  return true;
}

bool BatchJudge::Rebuild(BoundForm& bound) const {
  const jit::NativeFrame& frame = frame_.frame();
  size_t n = rules_.items.size();
  // Written in place, so that a BoundForm used for form after form keeps
  // its lists' storage instead of allocating them again.
  bound.values.resize(n);
  bound.states = states_;
  bound.group_entries.assign(rules_.groups.size(), 0);
  bound.messages.clear();
  // A fresh list value holding `elements` (their storage reused).
  auto list_of = [](std::vector<Value>& elements, bool known) {
    Value list = Value::UnknownOf(ir::ValueKind::kList);
    list.list_known = known;
    list.list = std::move(elements);
    return list;
  };
  for (size_t slot = 0; slot < n; ++slot) {
    const ir::ItemSchema& s = rules_.items[slot].schema;
    bool given = states_[slot] == AnswerState::kGiven;
    Value& value = bound.values[slot];
    switch (s.kind) {
      case ir::ItemKind::kAnswer:
      case ir::ItemKind::kYesNo:
        value = Value::OfTruth(static_cast<Truth>(frame.item_truth[slot]));
        break;
      case ir::ItemKind::kText:
        value = given ? Value::OfText(std::string(binder_.Text(int(slot))))
                      : Value::UnknownOf(ir::ValueKind::kText);
        break;
      case ir::ItemKind::kChoices: {
        std::vector<Value> chosen = std::move(value.list);
        chosen.clear();
        if (given) {
          for (double code : binder_.Codes(int(slot))) {
            chosen.push_back(Value::OfNumber(Number::Exact(code)));
          }
        }
        value = list_of(chosen, given);
        break;
      }
      case ir::ItemKind::kList: {
        const ir::ItemSchema& element = s.element_schema.front();
        if (element.kind == ir::ItemKind::kText || element.kind == ir::ItemKind::kChoices ||
            element.kind == ir::ItemKind::kList) {
          return false;
        }
        bool truths = element.kind == ir::ItemKind::kAnswer || element.kind == ir::ItemKind::kYesNo;
        std::vector<Value> elements = std::move(value.list);
        elements.resize(size_t(s.list_size));
        auto start = size_t(frame.element_start[slot]);
        for (size_t e = 0; e < elements.size(); ++e) {
          elements[e] =
              truths ? Value::OfTruth(static_cast<Truth>(frame.element_truth[start + e]))
                     : Value::OfNumber({frame.element_lo[start + e], frame.element_hi[start + e]});
        }
        value = list_of(elements, true);
        break;
      }
      case ir::ItemKind::kGroup:
        value = UnknownValueOf(s);
        break;
      default:
        value = Value::OfNumber({frame.item_lo[slot], frame.item_hi[slot]});
    }
  }
  return true;
}

bool BatchJudge::Decide() {
  // The fused judge decided each classification as the interpreter does and
  // left the decision in the frame: the level (-1 none or undecided), the
  // levels still possible when undecided, and whether it qualifies.
  const jit::NativeFrame& frame = frame_.frame();
  size_t n = rules_.classifications.size();
  levels_.assign(n, -1);
  candidates_.resize(n);
  qualifies_.assign(n, Truth::kFalse);
  deciding_.resize(n);
  bool undecided = false;
  for (size_t k = 0; k < n; ++k) {
    levels_[k] = frame.class_level[k];
    qualifies_[k] = static_cast<Truth>(frame.class_qualifies[k]);
    candidates_[k].clear();
    deciding_[k].clear();
    uint64_t possible = frame.class_candidates[k];
    for (int l = 0; possible != 0; ++l, possible >>= 1) {
      if ((possible & 1) != 0) candidates_[k].push_back(l);
    }
    undecided = undecided || !candidates_[k].empty();
  }
  return undecided;
}

void BatchJudge::Requirements(const FormInput& form) {
  messages_.clear();
  const jit::VerdictLayout& layout = native_.layout();
  for (size_t i = 0; i < rules_.items.size(); ++i) {
    const ir::Item& item = rules_.items[i];
    if (item.group >= 0) continue;
    Truth asked = SectionAsked(item, form.variant) ? Truth::kTrue : Truth::kFalse;
    if (asked == Truth::kTrue && item.asked_when) {
      asked = static_cast<Truth>(verdict_[size_t(layout.asked[i])]);
    }
    Requirement met = RequirementOf(item, form.variant, asked, states_[i]);
    if (met != Requirement::kMet) {
      messages_.push_back(int(2 * i) + (met == Requirement::kMissing ? 0 : 1));
    }
  }
  auto first_check = int(2 * rules_.items.size());
  for (size_t i = 0; i < rules_.checks.size(); ++i) {
    if (static_cast<Truth>(verdict_[size_t(layout.check[i])]) != Truth::kFalse) continue;
    messages_.push_back(first_check + int(i));
  }
  errors_ = false;
  for (int m : messages_) errors_ = errors_ || message_is_error_[size_t(m)];
}

// As the native judge hands a calculated value to the interpreter
// (jit::NativeJudge::Calc), rounded as the interpreter rounds it.
Value BatchJudge::CalcValue(int slot, const FormInput& form) const {
  const jit::NativeFrame& frame = frame_.frame();
  const ir::Calc& calc = rules_.calcs[size_t(slot)];
  Value v = jit::DecodeNativeValue(
      calc.kind, {frame.calc_lo[slot], frame.calc_hi[slot], frame.calc_truth[slot]},
      native_.texts(), form.variant);
  if (v.kind == ir::ValueKind::kNumber && calc.places >= 0) {
    v.number = {RoundHalfAway(v.number.lo, calc.places), RoundHalfAway(v.number.hi, calc.places)};
  }
  return v;
}

void BatchJudge::Write(const FormInput& form, std::string& out) const {
  out += '{';
  if (!form.id.empty()) {
    out += "\"id\":";
    WriteJsonString(form.id, out);
    out += ',';
  }
  out += head_;
  if (!form.variant.empty()) {
    out += ",\"variant\":";
    WriteJsonString(form.variant, out);
  }
  out += errors_ ? ",\"status\":\"errors\",\"messages\":[" : ",\"status\":\"ok\",\"messages\":[";
  for (size_t i = 0; i < messages_.size(); ++i) {
    if (i > 0) out += ',';
    out += message_json_[size_t(messages_[i])];
  }
  out += "],\"values\":{";
  for (size_t i = 0; i < calcs_.size(); ++i) {
    if (i > 0) out += ',';
    out += calc_keys_[i];
    WriteCalcValueJson(rules_.calcs[i], calcs_[i], out);
  }
  out += "},\"judgments\":[";
  const jit::VerdictLayout& layout = native_.layout();
  for (size_t k = 0; k < rules_.classifications.size(); ++k) {
    const ir::Classification& c = rules_.classifications[k];
    if (k > 0) out += ',';
    out += class_heads_[k];
    int level = levels_[k];
    if (level >= 0) {
      out += level_names_[k][size_t(level)];
    } else {
      out += "null";
      const std::vector<int>& candidates = candidates_[k];
      if (!candidates.empty()) {
        out += ",\"possible\":[";
        for (size_t i = 0; i < candidates.size(); ++i) {
          if (i > 0) out += ',';
          out += level_names_[k][size_t(candidates[i])];
        }
        out += ']';
      }
    }
    if (c.kind != ir::ClassificationKind::kOutcome) {
      out += ",\"qualifies\":";
      out += TruthText(qualifies_[k]);
    }
    if (!deciding_[k].empty()) {
      out += ",\"insufficient_data\":[";
      for (size_t i = 0; i < deciding_[k].size(); ++i) {
        if (i > 0) out += ',';
        WriteJsonString(deciding_[k][i], out);
      }
      out += ']';
    }
    out += ",\"truths\":\"";
    // A letter per level and clause, written in place (the length is fixed
    // per classification).
    size_t at = out.size();
    out.resize(at + truths_length_[k]);
    char* letter = out.data() + at;
    for (size_t l = 0; l < c.levels.size(); ++l) {
      if (l > 0) *letter++ = ' ';
      if (!c.levels[l].condition) {
        *letter++ = 'T';
        continue;
      }
      *letter++ = TruthLetter(static_cast<Truth>(verdict_[size_t(layout.level[k][l])]));
      *letter++ = ':';
      auto start = size_t(layout.clause_start[k][l]);
      auto count = size_t(layout.clause_count[k][l]);
      for (size_t i = 0; i < count; ++i) {
        *letter++ = TruthLetter(static_cast<Truth>(verdict_[start + i]));
      }
    }
    out += "\"}";
  }
  out += "]}";
}

}  // namespace kijun::engine::batch
