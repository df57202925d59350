#include "engine/lower_to_ir.h"

#include <algorithm>
#include <map>

#include "dsl/external_functions.h"
#include "engine/external_call.h"

namespace kijun::engine {

namespace ast = dsl::ast;

namespace {

ir::ValueKind KindOf(const dsl::Type& t) {
  switch (t.kind) {
    case dsl::TypeKind::kTruth:
      return ir::ValueKind::kTruth;
    case dsl::TypeKind::kText:
      return ir::ValueKind::kText;
    case dsl::TypeKind::kList:
    case dsl::TypeKind::kChoices:
      return ir::ValueKind::kList;
    default:
      return ir::ValueKind::kNumber;
  }
}

ir::ItemKind ItemKindOf(ast::ItemKind k) {
  switch (k) {
    case ast::ItemKind::kInteger:
      return ir::ItemKind::kInteger;
    case ast::ItemKind::kDecimal:
      return ir::ItemKind::kDecimal;
    case ast::ItemKind::kAnswer:
      return ir::ItemKind::kAnswer;
    case ast::ItemKind::kYesNo:
      return ir::ItemKind::kYesNo;
    case ast::ItemKind::kChoice:
      return ir::ItemKind::kChoice;
    case ast::ItemKind::kChoices:
      return ir::ItemKind::kChoices;
    case ast::ItemKind::kDate:
      return ir::ItemKind::kDate;
    case ast::ItemKind::kYearMonth:
      return ir::ItemKind::kYearMonth;
    case ast::ItemKind::kText:
      return ir::ItemKind::kText;
    case ast::ItemKind::kList:
      return ir::ItemKind::kList;
  }
  return ir::ItemKind::kInteger;
}

ir::ItemSchema SchemaOf(const ast::ItemType& t) {
  ir::ItemSchema s;
  s.kind = ItemKindOf(t.kind);
  s.min = t.min;
  s.max = t.max;
  s.places = t.places;
  s.unit = t.unit;
  for (const auto& o : t.options) s.options.push_back({o.code, o.label, o.label_en});
  s.max_chars = t.max_chars;
  s.max_lines = t.max_lines;
  s.list_size = t.list_size;
  if (t.element) {
    s.element = ItemKindOf(t.element->kind);
    s.element_schema.push_back(SchemaOf(*t.element));
  }
  return s;
}

void Merge(std::vector<int>& into, const std::vector<int>& from) {
  into.insert(into.end(), from.begin(), from.end());
  std::sort(into.begin(), into.end());
  into.erase(std::unique(into.begin(), into.end()), into.end());
}

class Lowering {
 public:
  explicit Lowering(const dsl::Program& program) : program_(program) {}

  ir::RuleSet Run() {
    ir::RuleSet rules;
    const ast::RuleFile& main = *program_.main;
    rules.is_module = main.is_module;
    rules.programme = main.programme;
    rules.number = main.number;
    rules.name_ja = main.is_module ? main.module_name : main.name_ja;
    rules.name_en = main.name_en;
    rules.revision = main.revision;
    rules.effective = main.effective;
    for (auto* file : program_.AllFiles()) {
      for (const auto& v : file->variants) {
        if (std::find(rules.variants.begin(), rules.variants.end(), v) == rules.variants.end()) {
          rules.variants.push_back(v);
        }
      }
    }
    rules.content_hash = program_.content_hash;
    rules.path = main.source ? main.source->path() : "";

    for (size_t g = 0; g < program_.groups.size(); ++g) group_slot_[program_.groups[g]] = int(g);
    for (size_t t = 0; t < program_.tables.size(); ++t) table_slot_[program_.tables[t]] = int(t);
    for (size_t c = 0; c < program_.classifications.size(); ++c) {
      class_slot_[program_.classifications[c]] = int(c);
    }
    for (size_t c = 0; c < program_.calc_order.size(); ++c)
      calc_slot_[program_.calc_order[c]] = int(c);

    for (auto* group : program_.groups) {
      ir::Group g;
      g.name = group->name;
      g.label = group->label;
      g.min_entries = group->min_entries;
      g.max_entries = group->max_entries;
      for (const auto& item : group->items) g.items.push_back(item->index);
      rules.groups.push_back(std::move(g));
    }
    for (auto* item : program_.items) {
      ir::Item out;
      out.name = item->name;
      out.label = item->label;
      out.label_en = item->label_en;
      out.section = item->section ? item->section->name : "";
      out.only_variant = item->section ? item->section->only_variant : "";
      out.schema = SchemaOf(item->type);
      out.required = item->required;
      out.required_variants = item->required_variants;
      if (item->group) out.group = group_slot_[item->group];
      rules.items.push_back(std::move(out));
    }
    for (auto* calc : program_.calc_order) {
      ir::Calc out;
      out.name = calc->name;
      out.label = calc->label;
      out.label_en = calc->label_en;
      out.kind = KindOf(calc->type);
      out.integer = calc->type.kind == dsl::TypeKind::kInteger;
      out.places = calc->declared == ast::CalcTypeKind::kDecimal ? calc->places : -1;
      out.unit = calc->unit.empty() ? calc->type.unit : calc->unit;
      out.expr = Lower(*calc->expr);
      calc_reads_.push_back(out.expr.reads);
      rules.calcs.push_back(std::move(out));
    }
    for (auto* c : program_.classifications) {
      ir::Classification out;
      out.kind = c->kind == ast::ClassificationKind::kDiagnosis ? ir::ClassificationKind::kDiagnosis
                 : c->kind == ast::ClassificationKind::kSeverity ? ir::ClassificationKind::kSeverity
                                                                 : ir::ClassificationKind::kOutcome;
      out.name = c->name;
      out.label = c->label;
      out.label_en = c->label_en;
      out.qualifying.assign(c->levels.size(), false);
      for (int q : c->qualifying_indices) out.qualifying[q] = true;
      std::vector<int> reads;
      for (const auto& level : c->levels) {
        ir::Level l;
        l.name = level->name;
        l.label = level->label;
        l.label_en = level->label_en;
        if (level->condition) {
          l.condition = Lower(*level->condition);
          Merge(reads, l.condition->reads);
        }
        out.levels.push_back(std::move(l));
      }
      class_reads_.push_back(reads);
      rules.classifications.push_back(std::move(out));
    }
    // Asked-when conditions and checks may read calculations and
    // classifications, so they are lowered (and evaluated) after them.
    for (size_t i = 0; i < program_.items.size(); ++i) {
      if (program_.items[i]->asked_when)
        rules.items[i].asked_when = Lower(*program_.items[i]->asked_when);
    }
    for (auto* check : program_.checks) {
      rules.checks.push_back({check->name, check->is_error, check->message_ja, check->message_en,
                              Lower(*check->condition)});
    }
    for (auto* t : program_.tables) {
      ir::Table out;
      out.name = t->name;
      out.integer = true;
      for (const auto& r : t->rows) out.rows.push_back(r.text);
      for (const auto& c : t->columns) out.columns.push_back(c.text);
      for (const auto& row : t->cells) {
        std::vector<std::string> cells;
        for (const auto& cell : row) {
          cells.push_back(cell.text);
          out.integer = out.integer && cell.is_integer;
        }
        out.cells.push_back(std::move(cells));
      }
      rules.tables.push_back(std::move(out));
    }
    rules.externals = std::move(externals_);
    return rules;
  }

 private:
  ir::Node Make(ir::Op op, const ast::Expr& e) {
    ir::Node n;
    n.op = op;
    n.kind = KindOf(e.type);
    n.text = e.text;
    return n;
  }

  ir::Node WithArgs(ir::Op op, const ast::Expr& e) {
    ir::Node n = Make(op, e);
    for (const auto& a : e.args) n.args.push_back(Lower(*a));
    return n;
  }

  static int64_t ChoiceCode(const ast::Item* item, const ast::Expr& operand) {
    if (operand.kind == ast::ExprKind::kInteger || item == nullptr) return operand.integer_value;
    const ast::ItemType* t = &item->type;
    if (t->kind == ast::ItemKind::kList && t->element) t = t->element.get();
    for (const auto& o : t->options) {
      if (o.label == operand.string_value || o.label_en == operand.string_value) return o.code;
    }
    return 0;
  }

  ir::Node Constant(double v) {
    ir::Node n;
    n.op = ir::Op::kNumber;
    n.kind = ir::ValueKind::kNumber;
    n.number = v;
    return n;
  }

  ir::Node LowerBinary(const ast::Expr& e) {
    static const std::map<std::string, ir::Op> kOps = {
        {"+", ir::Op::kAdd}, {"-", ir::Op::kSub}, {"*", ir::Op::kMul}, {"/", ir::Op::kDiv},
        {"^", ir::Op::kPow}, {"=", ir::Op::kEq},  {"!=", ir::Op::kNe}, {"<", ir::Op::kLt},
        {"<=", ir::Op::kLe}, {">", ir::Op::kGt},  {">=", ir::Op::kGe}, {"and", ir::Op::kAnd},
        {"or", ir::Op::kOr}};
    const ast::Expr& a = *e.args[0];
    const ast::Expr& b = *e.args[1];
    // Classification = level.
    if (b.symbol == ast::SymbolKind::kLevel && a.symbol == ast::SymbolKind::kClassification) {
      ir::Node is = Make(ir::Op::kLevelIs, e);
      is.kind = ir::ValueKind::kTruth;
      is.slot = class_slot_[a.classification];
      is.number = b.level_index;
      is.reads = class_reads_.at(is.slot);
      if (e.op == "=") return is;
      ir::Node n = Make(ir::Op::kNot, e);
      n.reads = is.reads;
      n.args.push_back(std::move(is));
      return n;
    }
    ir::Node n = Make(kOps.at(e.op), e);
    // Choice compared with a label: compare codes.
    if (a.type.kind == dsl::TypeKind::kChoice &&
        (b.kind == ast::ExprKind::kString || b.kind == ast::ExprKind::kInteger)) {
      n.args.push_back(Lower(a));
      n.args.push_back(Constant(double(ChoiceCode(a.type.choice_item, b))));
    } else if (b.type.kind == dsl::TypeKind::kChoice &&
               (a.kind == ast::ExprKind::kString || a.kind == ast::ExprKind::kInteger)) {
      n.args.push_back(Constant(double(ChoiceCode(b.type.choice_item, a))));
      n.args.push_back(Lower(b));
    } else {
      n.args.push_back(Lower(a));
      n.args.push_back(Lower(b));
    }
    for (const auto& arg : n.args) Merge(n.reads, arg.reads);
    return n;
  }

  // A plugin function's slot in the rule set's table, added on first use.
  int ExternalSlot(const dsl::ExternalFunction& f) {
    for (size_t i = 0; i < externals_.size(); ++i) {
      if (externals_[i].name == f.name) return int(i);
    }
    ir::External out;
    out.name = f.name;
    out.provider = f.provider;
    out.symbol = ExternalSymbol(f.name);
    out.result = f.result == dsl::ExternalKind::kTruth     ? ir::ExternalKind::kTruth
                 : f.result == dsl::ExternalKind::kInteger ? ir::ExternalKind::kInteger
                                                           : ir::ExternalKind::kDecimal;
    out.pure = f.pure;
    out.entry = f.entry;
    externals_.push_back(std::move(out));
    return int(externals_.size() - 1);
  }

  ir::Node LowerCall(const ast::Expr& e) {
    const std::string& f = e.name;
    if (e.external != nullptr) {
      ir::Node n = WithArgs(ir::Op::kExternal, e);
      n.slot = ExternalSlot(*e.external);
      return n;
    }
    static const std::map<std::string, ir::Op> kAggregates = {
        {"sum", ir::Op::kSum},  {"count", ir::Op::kCount}, {"avg", ir::Op::kAvg},
        {"min", ir::Op::kMin},  {"max", ir::Op::kMax},     {"any", ir::Op::kAnyOf},
        {"all", ir::Op::kAllOf}};
    if (f == "count" && e.args.size() == 1 && e.args[0]->type.kind == dsl::TypeKind::kGroup) {
      ir::Node n = Make(ir::Op::kCountEntries, e);
      auto it = program_.scope.find(e.args[0]->name);
      n.slot = group_slot_[it->second.group];
      for (const auto& item : it->second.group->items) n.reads.push_back(item->index);
      return n;
    }
    if (auto it = kAggregates.find(f); it != kAggregates.end()) return WithArgs(it->second, e);
    if (f == "round") {
      ir::Node n = Make(ir::Op::kRound, e);
      n.args.push_back(Lower(*e.args[0]));
      n.number = double(e.args[1]->integer_value);
      return n;
    }
    if (f == "floor") return WithArgs(ir::Op::kFloor, e);
    if (f == "abs") return WithArgs(ir::Op::kAbs, e);
    if (f == "age") return WithArgs(ir::Op::kAge, e);
    if (f == "months_between") {
      return WithArgs(e.args[0]->type.kind == dsl::TypeKind::kDate
                          ? ir::Op::kMonthsBetweenDates
                          : ir::Op::kMonthsBetweenYearMonths,
                      e);
    }
    if (f == "add_months") {
      return WithArgs(e.args[0]->type.kind == dsl::TypeKind::kDate ? ir::Op::kAddMonthsToDate
                                                                   : ir::Op::kAddMonths,
                      e);
    }
    if (f == "year_month") return WithArgs(ir::Op::kYearMonthOf, e);
    if (f == "known") return WithArgs(ir::Op::kKnown, e);
    if (f == "answered") return WithArgs(ir::Op::kAnswered, e);
    if (f == "variant") return Make(ir::Op::kVariant, e);
    if (f == "form_date") return Make(ir::Op::kFormDate, e);
    if (f == "contains") {
      ir::Node n = Make(ir::Op::kContains, e);
      n.args.push_back(Lower(*e.args[0]));
      n.number = double(ChoiceCode(e.args[0]->item, *e.args[1]));
      return n;
    }
    return Make(ir::Op::kNumber, e);
  }

  ir::Node Lower(const ast::Expr& e) {
    ir::Node n = LowerNode(e);
    for (const auto& arg : n.args) Merge(n.reads, arg.reads);
    return n;
  }

  ir::Node LowerNode(const ast::Expr& e) {
    switch (e.kind) {
      case ast::ExprKind::kInteger:
      case ast::ExprKind::kDate:
      case ast::ExprKind::kYearMonth: {
        ir::Node n = Make(ir::Op::kNumber, e);
        n.number = double(e.integer_value);
        return n;
      }
      case ast::ExprKind::kDecimal: {
        ir::Node n = Make(ir::Op::kNumber, e);
        n.number = e.decimal_value;
        return n;
      }
      case ast::ExprKind::kString: {
        ir::Node n = Make(ir::Op::kText, e);
        n.text = e.string_value;
        return n;
      }
      case ast::ExprKind::kBoolean: {
        ir::Node n = Make(ir::Op::kTruth, e);
        n.number = e.boolean_value ? 1 : 0;
        return n;
      }
      case ast::ExprKind::kUnknown:
        return Make(ir::Op::kUnknownValue, e);
      case ast::ExprKind::kName: {
        switch (e.symbol) {
          case ast::SymbolKind::kItem: {
            ir::Node n = Make(ir::Op::kItem, e);
            n.slot = e.item->index;
            n.reads = {n.slot};
            return n;
          }
          case ast::SymbolKind::kCalc: {
            ir::Node n = Make(ir::Op::kCalc, e);
            n.slot = calc_slot_[e.calc];
            n.reads = calc_reads_.at(n.slot);
            return n;
          }
          case ast::SymbolKind::kClassification: {
            ir::Node n = Make(ir::Op::kQualifies, e);
            n.kind = ir::ValueKind::kTruth;
            n.slot = class_slot_[e.classification];
            n.reads = class_reads_.at(n.slot);
            return n;
          }
          case ast::SymbolKind::kLoopVariable: {
            ir::Node n = Make(ir::Op::kLoopVar, e);
            for (size_t i = loops_.size(); i-- > 0;) {
              if (loops_[i] == e.name) {
                n.slot = int(i);
                break;
              }
            }
            return n;
          }
          default:
            return Make(ir::Op::kNumber, e);
        }
      }
      case ast::ExprKind::kIndex:
        return WithArgs(ir::Op::kIndex, e);
      case ast::ExprKind::kNegate:
        return WithArgs(ir::Op::kNeg, e);
      case ast::ExprKind::kNot:
        return WithArgs(ir::Op::kNot, e);
      case ast::ExprKind::kBinary:
        return LowerBinary(e);
      case ast::ExprKind::kIf:
        return WithArgs(ir::Op::kIf, e);
      case ast::ExprKind::kAtLeast:
        return WithArgs(ir::Op::kAtLeast, e);
      case ast::ExprKind::kAnyOf:
        return WithArgs(ir::Op::kAnyOf, e);
      case ast::ExprKind::kAllOf:
        return WithArgs(ir::Op::kAllOf, e);
      case ast::ExprKind::kCases:
        return WithArgs(ir::Op::kCases, e);
      case ast::ExprKind::kLookup: {
        ir::Node n = WithArgs(ir::Op::kLookup, e);
        n.slot = table_slot_[e.table];
        return n;
      }
      case ast::ExprKind::kCall:
        return LowerCall(e);
      case ast::ExprKind::kLoop: {
        static const std::map<std::string, ir::Op> kLoopOps = {
            {"sum", ir::Op::kSum},  {"count", ir::Op::kCount}, {"avg", ir::Op::kAvg},
            {"min", ir::Op::kMin},  {"max", ir::Op::kMax},     {"any", ir::Op::kAnyOf},
            {"all", ir::Op::kAllOf}};
        ir::Node n = Make(ir::Op::kLoop, e);
        n.loop_op = kLoopOps.at(e.name);
        n.args.push_back(Lower(*e.args[0]));
        n.args.push_back(Lower(*e.args[1]));
        loops_.push_back(e.loop_variable);
        n.slot = int(loops_.size() - 1);
        n.args.push_back(Lower(*e.args[2]));
        loops_.pop_back();
        return n;
      }
    }
    return Make(ir::Op::kNumber, e);
  }

  const dsl::Program& program_;
  std::map<const ast::Group*, int> group_slot_;
  std::map<const ast::Table*, int> table_slot_;
  std::map<const ast::Classification*, int> class_slot_;
  std::map<const ast::Calc*, int> calc_slot_;
  std::vector<std::vector<int>> calc_reads_;
  std::vector<std::vector<int>> class_reads_;
  std::vector<std::string> loops_;
  std::vector<ir::External> externals_;
};

}  // namespace

ir::RuleSet LowerToIr(const dsl::Program& program) { return Lowering(program).Run(); }

int ir::RuleSet::FindItem(const std::string& name) const {
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].name == name) return int(i);
  }
  return -1;
}

int ir::RuleSet::FindCalc(const std::string& name) const {
  for (size_t i = 0; i < calcs.size(); ++i) {
    if (calcs[i].name == name) return int(i);
  }
  return -1;
}

int ir::RuleSet::FindClassification(const std::string& name) const {
  for (size_t i = 0; i < classifications.size(); ++i) {
    if (classifications[i].name == name) return int(i);
  }
  return -1;
}

}  // namespace kijun::engine
