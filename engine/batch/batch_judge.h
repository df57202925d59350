#pragma once

// The batch path of one disease version: a form's answers bound straight
// into the native frame (FrameBinder), the fused judge, and the compact
// result line (engine/judgment_writer.h, Explanation::kTruths) written from
// the verdict with the names escaped once per rule set. It takes the forms
// whose answers the binding accepts without a message, with a known variant
// and no run-time error. When a classification is undecided (its result
// lists the unknown items that would decide it, which only the interpreter
// works out), the reference binding's values are rebuilt from the frame and
// the interpreter finds those items alone (AddDecidingItems), from the
// native judge's decisions. The caller judges the other forms on the
// reference path, which writes the same bytes (tested on every rule file).

#include <simdjson.h>

#include <string>
#include <vector>

#include "engine/batch/frame_binder.h"
#include "engine/form_binding.h"
#include "engine/ir.h"
#include "engine/jit/frame_storage.h"
#include "engine/jit/jit_engine.h"
#include "engine/judgment.h"

namespace kijun::engine::batch {

class BatchJudge {
 public:
  // `native` must be `rules` compiled with a fused judge
  // (NativeRuleSet::Judge() not null); both must outlive the judge.
  BatchJudge(const ir::RuleSet& rules, const jit::NativeRuleSet& native);

  // Judges one form (`items` null when the line has none) and appends its
  // compact result (no newline) to `out`. False, with `out` unchanged, when
  // the form needs the reference path.
  bool Judge(const FormInput& form, const simdjson::dom::element* items, std::string& out);

  // The answers of the form last bound, as the reference binding
  // (engine/form_binding.h) gives them, rebuilt from the frame; false when
  // the frame cannot say (a multiple choice of more than 53 options, a list
  // of texts). For undecided forms, and for testing.
  bool Rebuild(BoundForm& bound) const;

 private:
  // Each classification's decision, as the fused judge left it in the
  // frame: levels_, candidates_, qualifies_; true when one is undecided.
  bool Decide();
  // The items that would decide the undecided classifications, into
  // deciding_; false when the form needs the reference path.
  bool Deciding(const FormInput& form);
  void Requirements(const FormInput& form);
  Value CalcValue(int slot, const FormInput& form) const;
  void Write(const FormInput& form, std::string& out) const;

  const ir::RuleSet& rules_;
  const jit::NativeRuleSet& native_;
  FrameBinder binder_;
  jit::FrameStorage blank_;
  jit::FrameStorage frame_;
  std::vector<AnswerState> states_;
  std::vector<uint8_t> verdict_;
  // Per classification: the decided level (-1 none or undecided), the
  // levels still possible when undecided, whether it qualifies, and the
  // items that would decide it.
  std::vector<int> levels_;
  std::vector<std::vector<int>> candidates_;
  std::vector<Truth> qualifies_;
  std::vector<std::vector<std::string>> deciding_;
  // Reused for undecided forms.
  BoundForm bound_;
  std::vector<ClassificationResult> judged_;
  // The messages of this form: indexes into message_json_.
  std::vector<int> messages_;
  bool errors_ = false;
  std::vector<Value> calcs_;
  // Escaped once: `"disease":…,"rule":{…}`, each calculation's `"name":`,
  // each classification's `{"kind":…,"name":…,"level":` and level names.
  std::string head_;
  std::vector<std::string> calc_keys_;
  std::vector<std::string> class_heads_;
  std::vector<std::vector<std::string>> level_names_;
  // The length of each classification's "truths" text.
  std::vector<size_t> truths_length_;
  // Every message the batch path can give, as JSON, with whether it is an
  // error: per item its kMissing then kNotAsked message, then per check.
  std::vector<std::string> message_json_;
  std::vector<bool> message_is_error_;
};

}  // namespace kijun::engine::batch
