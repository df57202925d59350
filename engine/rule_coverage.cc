#include "engine/rule_coverage.h"

#include <algorithm>
#include <map>

#include "engine/interpreter.h"
#include "engine/rule_tests.h"

namespace kijun::engine {

namespace ast = dsl::ast;
using nlohmann::json;

namespace {

std::string Where(const dsl::SourceLocation& w) {
  return (w.file != nullptr ? w.file->path() : std::string("?")) + ":" + std::to_string(w.line) +
         ":" + std::to_string(w.column);
}

// Whether `n` can never be false, whatever the answers: answered() (true or
// unknown), a calculation or a combination built only from such parts, or a
// classification's "qualifies" when its first level that can never be false
// qualifies and so does every level before it.
bool NeverFalse(const ir::RuleSet& rules, const ir::Node& n, int depth = 0) {
  if (depth > 64) return false;
  switch (n.op) {
    case ir::Op::kAnswered:
      return true;
    case ir::Op::kTruth:
      return n.number != 0;
    case ir::Op::kCalc:
      return NeverFalse(rules, rules.calcs[size_t(n.slot)].expr, depth + 1);
    case ir::Op::kAnd:
    case ir::Op::kAllOf:
      for (const auto& a : n.args) {
        if (!NeverFalse(rules, a, depth + 1)) return false;
      }
      return !n.args.empty();
    case ir::Op::kOr:
    case ir::Op::kAnyOf:
      for (const auto& a : n.args) {
        if (NeverFalse(rules, a, depth + 1)) return true;
      }
      return false;
    case ir::Op::kQualifies: {
      const ir::Classification& c = rules.classifications[size_t(n.slot)];
      for (size_t l = 0; l < c.levels.size(); ++l) {
        if (!c.qualifying[l]) return false;
        if (!c.levels[l].condition || NeverFalse(rules, *c.levels[l].condition, depth + 1)) {
          return true;
        }
      }
      return false;
    }
    default:
      return false;
  }
}

// A condition that can be both true and false: a yes/no value that is not a
// constant and not built to be never false.
bool Decidable(const ir::RuleSet& rules, const ir::Node& n) {
  return n.kind == ir::ValueKind::kTruth && n.op != ir::Op::kTruth && !NeverFalse(rules, n);
}

// Lays out the conditions of one file's rules and records what the tests
// make of them.
class CoverageMap : public ConditionObserver {
 public:
  CoverageMap(const ir::RuleSet& rules, FileCoverage& out) : rules_(rules), out_(out) {}

  // A rule's whole condition, its clauses, and the conditions of the cases
  // and ifs inside it.
  void AddRule(const ir::Node& condition, const dsl::SourceLocation& at, const std::string& owner,
               const std::string& level) {
    Add(condition, at, owner, level, true);
    std::vector<const ir::Node*> parts;
    Clauses(condition, parts);
    if (parts.size() > 1) {
      for (const ir::Node* part : parts) Add(*part, at, owner, level, false);
    }
    AddBranches(condition, at, owner, level);
  }

  // The conditions of the cases and ifs inside a value's expression.
  void AddBranches(const ir::Node& n, const dsl::SourceLocation& at, const std::string& owner,
                   const std::string& level) {
    if (n.op == ir::Op::kCases) {
      for (size_t i = 0; i + 1 < n.args.size(); i += 2) Add(n.args[i], at, owner, level, false);
    } else if (n.op == ir::Op::kIf) {
      Add(n.args[0], at, owner, level, false);
    }
    for (const auto& a : n.args) AddBranches(a, at, owner, level);
  }

  void Seen(const ir::Node& node, Truth result) override {
    auto it = index_.find(&node);
    if (it == index_.end()) return;
    ConditionCoverage& c = out_.conditions[it->second];
    if (result == Truth::kTrue) c.seen_true = true;
    if (result == Truth::kFalse) c.seen_false = true;
  }

 private:
  void Add(const ir::Node& n, const dsl::SourceLocation& at, const std::string& owner,
           const std::string& level, bool whole) {
    if (!Decidable(rules_, n) || index_.count(&n) != 0) return;
    index_[&n] = out_.conditions.size();
    out_.conditions.push_back({Where(at), int(at.line), owner, level, n.text, whole});
  }

  // The clauses the explanation shows (the operands of a chain of and / or),
  // and the operands of "k of n", any and all.
  static void Clauses(const ir::Node& n, std::vector<const ir::Node*>& out) {
    if (n.op == ir::Op::kAnd || n.op == ir::Op::kOr) {
      Chain(n, n.op, out);
    } else if (n.op == ir::Op::kAtLeast) {
      for (size_t i = 1; i < n.args.size(); ++i) out.push_back(&n.args[i]);
    } else if (n.op == ir::Op::kAnyOf || n.op == ir::Op::kAllOf) {
      for (const auto& a : n.args) out.push_back(&a);
    }
  }

  static void Chain(const ir::Node& n, ir::Op op, std::vector<const ir::Node*>& out) {
    if (n.op == op) {
      for (const auto& a : n.args) Chain(a, op, out);
    } else {
      out.push_back(&n);
    }
  }

  const ir::RuleSet& rules_;
  FileCoverage& out_;
  std::map<const ir::Node*, size_t> index_;
};

}  // namespace

int FileCoverage::Covered() const {
  int n = 0;
  for (const auto& c : conditions) n += c.Covered() ? 1 : 0;
  return n;
}

FileCoverage MeasureRuleCoverage(const dsl::Program& program, const ir::RuleSet& rules) {
  FileCoverage out;
  const ast::RuleFile& main = *program.main;
  out.path = main.source != nullptr ? main.source->path() : rules.path;
  out.tests = static_cast<int>(main.tests.size());
  CoverageMap map(rules, out);
  for (const auto& c : main.classifications) {
    int k = rules.FindClassification(c->name);
    if (k < 0) continue;
    const ir::Classification& lowered = rules.classifications[size_t(k)];
    for (size_t l = 0; l < c->levels.size() && l < lowered.levels.size(); ++l) {
      if (lowered.levels[l].condition) {
        map.AddRule(*lowered.levels[l].condition, c->levels[l]->where, c->name, c->levels[l]->name);
      }
    }
  }
  for (const auto& check : main.checks) {
    for (const auto& lowered : rules.checks) {
      if (lowered.name == check->name)
        map.AddRule(lowered.condition, check->where, check->name, "");
    }
  }
  for (const auto& calc : main.calcs) {
    int slot = rules.FindCalc(calc->name);
    if (slot < 0) continue;
    const ir::Node& expr = rules.calcs[size_t(slot)].expr;
    if (expr.kind == ir::ValueKind::kTruth) {
      map.AddRule(expr, calc->where, calc->name, "");
    } else {
      map.AddBranches(expr, calc->where, calc->name, "");
    }
  }
  for (const auto& test : main.tests) {
    json items;
    FormInput form = TestCaseForm(test, items);
    Observe(rules, form, items, map);
  }
  std::stable_sort(
      out.conditions.begin(), out.conditions.end(),
      [](const ConditionCoverage& a, const ConditionCoverage& b) { return a.line < b.line; });
  return out;
}

json CoverageToJson(const FileCoverage& coverage) {
  json conditions = json::array();
  for (const auto& c : coverage.conditions) {
    conditions.push_back({{"where", c.where},
                          {"owner", c.owner},
                          {"level", c.level},
                          {"condition", c.text},
                          {"part", !c.whole},
                          {"seen_true", c.seen_true},
                          {"seen_false", c.seen_false}});
  }
  return {{"path", coverage.path},
          {"tests", coverage.tests},
          {"covered", coverage.Covered()},
          {"total", coverage.Total()},
          {"conditions", conditions}};
}

}  // namespace kijun::engine
