#include "engine/ir_dump.h"

#include <sstream>

#include "engine/value.h"

namespace kijun::engine {

namespace {

const char* OpName(ir::Op op) {
  using ir::Op;
  switch (op) {
    case Op::kNumber:
      return "number";
    case Op::kText:
      return "text";
    case Op::kTruth:
      return "truth";
    case Op::kItem:
      return "item";
    case Op::kCalc:
      return "calc";
    case Op::kLoopVar:
      return "loop-var";
    case Op::kQualifies:
      return "qualifies";
    case Op::kLevelIs:
      return "level-is";
    case Op::kIndex:
      return "index";
    case Op::kNeg:
      return "neg";
    case Op::kNot:
      return "not";
    case Op::kAdd:
      return "add";
    case Op::kSub:
      return "sub";
    case Op::kMul:
      return "mul";
    case Op::kDiv:
      return "div";
    case Op::kPow:
      return "pow";
    case Op::kEq:
      return "eq";
    case Op::kNe:
      return "ne";
    case Op::kLt:
      return "lt";
    case Op::kLe:
      return "le";
    case Op::kGt:
      return "gt";
    case Op::kGe:
      return "ge";
    case Op::kAnd:
      return "and";
    case Op::kOr:
      return "or";
    case Op::kIf:
      return "if";
    case Op::kAtLeast:
      return "at-least";
    case Op::kAnyOf:
      return "any";
    case Op::kAllOf:
      return "all";
    case Op::kCases:
      return "cases";
    case Op::kLookup:
      return "lookup";
    case Op::kSum:
      return "sum";
    case Op::kCount:
      return "count";
    case Op::kAvg:
      return "avg";
    case Op::kMin:
      return "min";
    case Op::kMax:
      return "max";
    case Op::kCountEntries:
      return "count-entries";
    case Op::kLoop:
      return "loop";
    case Op::kRound:
      return "round";
    case Op::kFloor:
      return "floor";
    case Op::kAbs:
      return "abs";
    case Op::kAge:
      return "age";
    case Op::kMonthsBetweenDates:
      return "months-between-dates";
    case Op::kMonthsBetweenYearMonths:
      return "months-between-year-months";
    case Op::kAddMonths:
      return "add-months";
    case Op::kYearMonthOf:
      return "year-month-of";
    case Op::kAnswered:
      return "answered";
    case Op::kAddMonthsToDate:
      return "add-months-to-date";
    case Op::kUnknownValue:
      return "unknown";
    case Op::kKnown:
      return "known";
    case Op::kContains:
      return "contains";
    case Op::kVariant:
      return "variant";
    case Op::kFormDate:
      return "form-date";
    case Op::kExternal:
      return "external";
  }
  return "?";
}

const char* KindName(ir::ValueKind k) {
  switch (k) {
    case ir::ValueKind::kTruth:
      return "truth";
    case ir::ValueKind::kNumber:
      return "number";
    case ir::ValueKind::kText:
      return "text";
    case ir::ValueKind::kList:
      return "list";
  }
  return "?";
}

void Dump(const ir::Node& n, std::ostringstream& out) {
  out << '(' << OpName(n.op);
  if (n.op == ir::Op::kLoop) out << ' ' << OpName(n.loop_op);
  if (n.slot >= 0) out << " #" << n.slot;
  if (n.op == ir::Op::kNumber || n.op == ir::Op::kTruth || n.op == ir::Op::kRound ||
      n.op == ir::Op::kLevelIs || n.op == ir::Op::kContains) {
    out << ' ' << FormatNumber(n.number);
  }
  if (n.op == ir::Op::kText) out << " \"" << n.text << '"';
  out << " :" << KindName(n.kind);
  for (const auto& a : n.args) {
    out << ' ';
    Dump(a, out);
  }
  out << ')';
}

}  // namespace

std::string DumpRuleSet(const ir::RuleSet& r) {
  std::ostringstream out;
  out << "ruleset " << (r.is_module ? "module " : "disease ") << r.DiseaseKey() << ' ' << r.name_ja
      << ' ' << r.content_hash << '\n';
  for (size_t i = 0; i < r.items.size(); ++i)
    out << "  item #" << i << ' ' << r.items[i].name << '\n';
  for (size_t i = 0; i < r.externals.size(); ++i) {
    out << "  external #" << i << ' ' << r.externals[i].name << ' ' << r.externals[i].provider
        << '\n';
  }
  for (size_t i = 0; i < r.calcs.size(); ++i) {
    out << "  calc #" << i << ' ' << r.calcs[i].name << " = ";
    Dump(r.calcs[i].expr, out);
    out << '\n';
  }
  for (const auto& c : r.checks) {
    out << "  check " << c.name << ' ';
    Dump(c.condition, out);
    out << '\n';
  }
  for (size_t i = 0; i < r.classifications.size(); ++i) {
    const auto& c = r.classifications[i];
    out << "  classification #" << i << ' ' << c.name << '\n';
    for (size_t l = 0; l < c.levels.size(); ++l) {
      out << "    level " << l << ' ' << c.levels[l].name
          << (c.qualifying[l] ? " qualifying " : " ");
      if (c.levels[l].condition) {
        Dump(*c.levels[l].condition, out);
      } else {
        out << "otherwise";
      }
      out << '\n';
    }
  }
  return out.str();
}

}  // namespace kijun::engine
