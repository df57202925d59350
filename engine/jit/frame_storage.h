#pragma once

#include <vector>

#include "engine/form_binding.h"
#include "engine/ir.h"
#include "engine/jit/native_frame.h"
#include "engine/jit/text_table.h"
#include "engine/judgment.h"

namespace kijun::engine::jit {

// The arrays a NativeFrame points into, filled from a bound form and the
// values decided so far. Not copyable (the frame points into it).
class FrameStorage {
 public:
  FrameStorage() = default;
  FrameStorage(const FrameStorage&) = delete;
  FrameStorage& operator=(const FrameStorage&) = delete;

  // Lays out the items of `bound` for `rules`, texts numbered by `texts`
  // (the compiled rule set's; it must outlive the storage's use).
  void SetItems(const ir::RuleSet& rules, const BoundForm& bound, const FormInput& form,
                const TextTable& texts);
  // Starts a form from `blank`: the same rules' storage laid out by SetItems
  // from a form with no answers. For binders that then write the answers
  // straight into the item arrays (engine/batch/frame_binder.h).
  void StartFrom(const FrameStorage& blank, const FormInput& form);
  struct ItemArrays {
    double* lo;
    double* hi;
    uint8_t* truth;
    double* element_lo;
    double* element_hi;
    uint8_t* element_truth;
    const int32_t* element_start;
  };
  ItemArrays items();
  // Sets calculated value `slot`.
  void SetCalc(int slot, const Value& value);
  // Sets the decision of classification `slot`.
  void SetClassification(int slot, const ClassificationResult& result);

  const NativeFrame& frame() const { return frame_; }
  // For the fused judge, which stores calculations and decisions through
  // the frame's pointers (into this storage).
  NativeFrame& mutable_frame() { return frame_; }
  std::vector<NativeError>& errors() { return errors_; }
  const std::vector<NativeError>& errors() const { return errors_; }

 private:
  void Point();

  std::vector<double> item_lo_, item_hi_;
  std::vector<uint8_t> item_truth_;
  std::vector<double> element_lo_, element_hi_;
  std::vector<uint8_t> element_truth_;
  std::vector<int32_t> element_start_;
  std::vector<double> calc_lo_, calc_hi_;
  std::vector<uint8_t> calc_truth_;
  std::vector<int32_t> class_level_;
  std::vector<uint64_t> class_candidates_;
  std::vector<uint8_t> class_qualifies_;
  std::vector<int64_t> group_entries_;
  std::vector<NativeError> errors_;
  const TextTable* texts_ = nullptr;
  NativeFrame frame_;
};

// A value the native code computed, as the interpreter's Value of `kind`:
// the inverse of how the frame encodes values (a text as its id in `texts`,
// TextTable::other() standing for the form's `variant`).
Value DecodeNativeValue(ir::ValueKind kind, const NativeValue& value, const TextTable& texts,
                        const std::string& variant);

}  // namespace kijun::engine::jit
