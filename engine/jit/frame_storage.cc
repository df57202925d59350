#include "engine/jit/frame_storage.h"

namespace kijun::engine::jit {

namespace {

void Encode(const Value& v, double& lo, double& hi, uint8_t& truth) {
  lo = v.number.lo;
  hi = v.number.hi;
  truth = static_cast<uint8_t>(v.truth);
}

// Chosen options as bits by option index (codes are checked against the
// options when the form is bound); only rule sets whose multiple choices
// have at most 53 options compile `contains` (a double holds the bits).
void EncodeChoices(const ir::ItemSchema& schema, const Value& v, double& bits, uint8_t& truth) {
  bits = 0;
  truth = v.known() ? 1 : 2;
  if (!v.known() || schema.options.size() > 53) return;
  uint64_t set = 0;
  for (const auto& element : v.list) {
    for (size_t i = 0; i < schema.options.size(); ++i) {
      if (double(schema.options[i].code) == element.number.lo) set |= uint64_t{1} << i;
    }
  }
  bits = static_cast<double>(set);
}

}  // namespace

Value DecodeNativeValue(ir::ValueKind kind, const NativeValue& v, const TextTable& texts,
                        const std::string& variant) {
  if (kind == ir::ValueKind::kTruth) return Value::OfTruth(static_cast<Truth>(v.truth));
  if (kind == ir::ValueKind::kText) {
    auto id = static_cast<int>(v.lo);
    return id < 0               ? Value::UnknownOf(ir::ValueKind::kText)
           : id < texts.other() ? Value::OfText(texts.Text(id))
                                : Value::OfText(variant);
  }
  return Value::OfNumber({v.lo, v.hi});
}

void FrameStorage::SetItems(const ir::RuleSet& rules, const BoundForm& bound, const FormInput& form,
                            const TextTable& texts) {
  texts_ = &texts;
  size_t n = rules.items.size();
  item_lo_.assign(n, 0);
  item_hi_.assign(n, 0);
  item_truth_.assign(n, 2);
  element_start_.assign(n, -1);
  element_lo_.clear();
  element_hi_.clear();
  element_truth_.clear();
  for (size_t slot = 0; slot < n; ++slot) {
    const Value& v = bound.values[slot];
    const ir::ItemSchema& schema = rules.items[slot].schema;
    if (schema.kind == ir::ItemKind::kChoices) {
      EncodeChoices(schema, v, item_lo_[slot], item_truth_[slot]);
      item_hi_[slot] = item_lo_[slot];
      continue;
    }
    Encode(v, item_lo_[slot], item_hi_[slot], item_truth_[slot]);
    if (rules.items[slot].schema.kind == ir::ItemKind::kList) {
      element_start_[slot] = static_cast<int32_t>(element_lo_.size());
      for (const auto& e : v.list) {
        double lo = 0, hi = 0;
        uint8_t truth = 2;
        Encode(e, lo, hi, truth);
        element_lo_.push_back(lo);
        element_hi_.push_back(hi);
        element_truth_.push_back(truth);
      }
    }
  }
  calc_lo_.assign(rules.calcs.size(), 0);
  calc_hi_.assign(rules.calcs.size(), 0);
  calc_truth_.assign(rules.calcs.size(), 2);
  class_level_.assign(rules.classifications.size(), -1);
  class_candidates_.assign(rules.classifications.size(), 0);
  class_qualifies_.assign(rules.classifications.size(), 2);
  group_entries_ = bound.group_entries;
  frame_.form_date = form.date ? static_cast<double>(*form.date) : 0;
  frame_.form_date_known = form.date ? 1 : 0;
  frame_.form_variant = form.variant.empty() ? -1 : texts.Find(form.variant);
  errors_.clear();
  Point();
}

void FrameStorage::StartFrom(const FrameStorage& blank, const FormInput& form) {
  texts_ = blank.texts_;
  item_lo_ = blank.item_lo_;
  item_hi_ = blank.item_hi_;
  item_truth_ = blank.item_truth_;
  element_lo_ = blank.element_lo_;
  element_hi_ = blank.element_hi_;
  element_truth_ = blank.element_truth_;
  element_start_ = blank.element_start_;
  calc_lo_ = blank.calc_lo_;
  calc_hi_ = blank.calc_hi_;
  calc_truth_ = blank.calc_truth_;
  class_level_ = blank.class_level_;
  class_candidates_ = blank.class_candidates_;
  class_qualifies_ = blank.class_qualifies_;
  group_entries_ = blank.group_entries_;
  frame_.form_date = form.date ? static_cast<double>(*form.date) : 0;
  frame_.form_date_known = form.date ? 1 : 0;
  frame_.form_variant = form.variant.empty() || texts_ == nullptr ? -1 : texts_->Find(form.variant);
  errors_.clear();
  Point();
}

FrameStorage::ItemArrays FrameStorage::items() {
  return {item_lo_.data(),    item_hi_.data(),       item_truth_.data(),   element_lo_.data(),
          element_hi_.data(), element_truth_.data(), element_start_.data()};
}

void FrameStorage::SetCalc(int slot, const Value& value) {
  if (value.kind == ir::ValueKind::kText) {
    double id = value.text_known && texts_ != nullptr ? texts_->Find(value.text) : -1;
    calc_lo_[size_t(slot)] = calc_hi_[size_t(slot)] = id;
    return;
  }
  Encode(value, calc_lo_[size_t(slot)], calc_hi_[size_t(slot)], calc_truth_[size_t(slot)]);
}

void FrameStorage::SetClassification(int slot, const ClassificationResult& result) {
  class_level_[size_t(slot)] = result.level;
  uint64_t bits = 0;
  for (int k : result.candidates) bits |= uint64_t{1} << k;
  class_candidates_[size_t(slot)] = bits;
  class_qualifies_[size_t(slot)] = static_cast<uint8_t>(result.qualifies);
}

void FrameStorage::Point() {
  frame_.item_lo = item_lo_.data();
  frame_.item_hi = item_hi_.data();
  frame_.item_truth = item_truth_.data();
  frame_.element_lo = element_lo_.data();
  frame_.element_hi = element_hi_.data();
  frame_.element_truth = element_truth_.data();
  frame_.element_start = element_start_.data();
  frame_.calc_lo = calc_lo_.data();
  frame_.calc_hi = calc_hi_.data();
  frame_.calc_truth = calc_truth_.data();
  frame_.class_level = class_level_.data();
  frame_.class_candidates = class_candidates_.data();
  frame_.class_qualifies = class_qualifies_.data();
  frame_.group_entries = group_entries_.data();
  frame_.errors = &errors_;
}

}  // namespace kijun::engine::jit
