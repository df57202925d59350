#include "engine/jit/text_table.h"

#include <algorithm>

namespace kijun::engine::jit {

TextTable TextTable::Of(const ir::RuleSet& rules) {
  TextTable table;
  for (const auto& c : rules.calcs) table.Add(c.expr);
  for (const auto& c : rules.classifications) {
    for (const auto& l : c.levels) {
      if (l.condition) table.Add(*l.condition);
    }
  }
  for (const auto& c : rules.checks) table.Add(c.condition);
  for (const auto& item : rules.items) {
    if (item.asked_when) table.Add(*item.asked_when);
  }
  // Look-up tables: headings are compared with text keys, text cells are
  // results.
  for (const auto& t : rules.tables) {
    for (const auto* headings : {&t.rows, &t.columns}) {
      for (const auto& h : *headings) table.AddText(h);
    }
    if (t.integer) continue;
    for (const auto& row : t.cells) {
      for (const auto& cell : row) table.AddText(cell);
    }
  }
  return table;
}

void TextTable::Add(const ir::Node& n) {
  if (n.op == ir::Op::kText) AddText(n.text);
  for (const auto& a : n.args) Add(a);
}

void TextTable::AddText(const std::string& text) {
  if (Find(text) == other()) texts_.push_back(text);
}

int TextTable::Find(const std::string& text) const {
  auto it = std::find(texts_.begin(), texts_.end(), text);
  return static_cast<int>(it - texts_.begin());
}

}  // namespace kijun::engine::jit
