#pragma once

// Binds a form's answers, parsed by simdjson, straight into the native
// frame: one binder per disease version, built from its schema, so the hot
// path does no per-item allocation and finds each answer's slot by one
// comparison when the keys come in the usual (sorted) order. It takes only
// answers the reference binding (engine/form_binding.cc) accepts without a
// message, and lays them out exactly as FrameStorage::SetItems does; for
// anything else (a wrong type, a value out of range, an unknown key, a
// repeated group …) it says no and the caller binds the form the reference
// way, which words the message.

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "engine/ir.h"
#include "engine/jit/frame_storage.h"
#include "engine/judgment.h"

namespace kijun::engine::batch {

class FrameBinder {
 public:
  explicit FrameBinder(const ir::RuleSet& rules);

  // Writes the answers in `items` (an object; null or no element for none) into the
  // item arrays of `frame` (already started from a blank one) and each
  // item's answer state into `states`. False when the form needs the
  // reference binding; `frame` and `states` are then half written.
  bool Bind(const simdjson::dom::element* items, jit::FrameStorage& frame,
            std::vector<AnswerState>& states);

  // What the frame does not hold, for rebuilding the reference binding's
  // values from it (BatchJudge, for undecided forms): the text of each
  // answered text item (a view into the parsed line) and the codes of each
  // answered multiple choice, in the order given. Valid until the next Bind.
  std::string_view Text(int slot) const { return texts_[size_t(slot)]; }
  const std::vector<double>& Codes(int slot) const { return codes_[size_t(slot)]; }

 private:
  bool BindAnswer(int slot, simdjson::dom::element answer, jit::FrameStorage::ItemArrays& frame);
  // A single value of `schema` as the reference binding reads it: a number,
  // or a truth (1 true, 0 false, 2 unknown) for 該当/あり items.
  static bool Scalar(const ir::ItemSchema& schema, simdjson::dom::element v, double& number,
                     uint8_t& truth);
  int Slot(std::string_view key);

  const ir::RuleSet& rules_;
  // Item names (not inside a group) and group names, sorted by bytes, with
  // their item slot (-1 for a group).
  std::vector<std::pair<std::string, int>> keys_;
  size_t cursor_ = 0;
  std::vector<uint8_t> seen_;
  std::vector<std::string_view> texts_;
  std::vector<std::vector<double>> codes_;
};

}  // namespace kijun::engine::batch
