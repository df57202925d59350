#include "engine/jit/verdict_layout.h"

namespace kijun::engine::jit {

namespace {

void Flatten(const ir::Node& n, ir::Op op, std::vector<const ir::Node*>& out) {
  if (n.op == op) {
    for (const auto& a : n.args) Flatten(a, op, out);
  } else {
    out.push_back(&n);
  }
}

}  // namespace

std::vector<const ir::Node*> ConditionClauses(const ir::Node& condition) {
  std::vector<const ir::Node*> parts;
  if (condition.op == ir::Op::kAnd || condition.op == ir::Op::kOr) {
    Flatten(condition, condition.op, parts);
  } else {
    parts.push_back(&condition);
  }
  return parts;
}

VerdictLayout VerdictLayout::Of(const ir::RuleSet& rules) {
  VerdictLayout layout;
  int root = static_cast<int>(rules.calcs.size());
  for (const auto& c : rules.classifications) {
    auto& level = layout.level.emplace_back();
    auto& start = layout.clause_start.emplace_back();
    auto& count = layout.clause_count.emplace_back();
    auto& roots = layout.level_root.emplace_back();
    for (const auto& l : c.levels) {
      if (!l.condition) {
        level.push_back(-1);
        start.push_back(-1);
        count.push_back(0);
        roots.push_back(-1);
        continue;
      }
      level.push_back(layout.size++);
      auto clauses = static_cast<int>(ConditionClauses(*l.condition).size());
      start.push_back(layout.size);
      count.push_back(clauses);
      layout.size += clauses;
      roots.push_back(root++);
    }
  }
  for (size_t i = 0; i < rules.checks.size(); ++i) {
    layout.check.push_back(layout.size++);
    layout.check_root.push_back(root++);
  }
  for (const auto& item : rules.items) {
    bool has = item.group < 0 && item.asked_when.has_value();
    layout.asked.push_back(has ? layout.size++ : -1);
    layout.asked_root.push_back(has ? root++ : -1);
  }
  return layout;
}

}  // namespace kijun::engine::jit
