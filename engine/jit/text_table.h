#pragma once

// Texts in compiled code are numbers: each text constant of a rule set gets
// an id (0, 1, … in the order the rules use them), the form's variant gets
// the id of the constant it equals or, when it equals none, `other()`; an
// unknown text is -1. Equal texts have equal ids, so comparing ids compares
// the texts. Built the same way by the code generator and the C++ side.

#include <string>
#include <vector>

#include "engine/ir.h"

namespace kijun::engine::jit {

class TextTable {
 public:
  static TextTable Of(const ir::RuleSet& rules);

  // The id of `text`, or other() when no rule mentions it.
  int Find(const std::string& text) const;
  int other() const { return static_cast<int>(texts_.size()); }
  // The text of id `id` (0 <= id < other()).
  const std::string& Text(int id) const { return texts_[size_t(id)]; }

 private:
  void Add(const ir::Node& n);
  void AddText(const std::string& text);
  std::vector<std::string> texts_;
};

}  // namespace kijun::engine::jit
