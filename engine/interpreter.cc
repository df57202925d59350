#include "engine/interpreter.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "dsl/calendar.h"
#include "engine/external_call.h"
#include "engine/form_binding.h"
#include "engine/interval_math.h"
#include "engine/requirements.h"

namespace kijun::engine {

namespace {

class Evaluator {
 public:
  Evaluator(const ir::RuleSet& rules, Judgment& out, CompiledRules* compiled,
            Explanation explanation)
      : rules_(rules),
        out_(out),
        compiled_(compiled),
        worded_(explanation == Explanation::kWorded) {}

  void Observe(ConditionObserver* observer) { observer_ = observer; }

  // For AddDecidingItems: the calculated values and decisions are given.
  bool DecidingOnly(const BoundForm& bound, const FormInput& form, const std::vector<Value>& calcs,
                    std::vector<ClassificationResult>& judged) {
    form_ = &form;
    items_ = &bound.values;
    states_ = &bound.states;
    groups_ = &bound.group_entries;
    calcs_ = calcs;
    levels_.clear();
    for (size_t k = 0; k < rules_.classifications.size(); ++k) {
      const ir::Classification& c = rules_.classifications[k];
      owner_ = &c.name;
      ClassificationResult& r = judged[k];
      if (r.level < 0) AddDeciding(c, r);
      levels_.push_back(r);
    }
    return out_.messages.empty();
  }

  void Run(const BoundForm& bound, const FormInput& form) {
    form_ = &form;
    items_ = &bound.values;
    states_ = &bound.states;
    groups_ = &bound.group_entries;
    out_.messages.insert(out_.messages.end(), bound.messages.begin(), bound.messages.end());
    if (compiled_ != nullptr) compiled_->Begin(bound, form);

    calcs_.clear();
    for (size_t slot = 0; slot < rules_.calcs.size(); ++slot) {
      const ir::Calc& calc = rules_.calcs[slot];
      owner_ = &calc.name;
      Value v;
      raised_.clear();
      if (compiled_ != nullptr && compiled_->Calc(int(slot), v, raised_)) {
        ReportRaised();
      } else {
        v = Eval(calc.expr);
      }
      if (v.kind == ir::ValueKind::kNumber && calc.places >= 0) {
        v.number = {RoundHalfAway(v.number.lo, calc.places),
                    RoundHalfAway(v.number.hi, calc.places)};
      }
      calcs_.push_back(v);
      out_.calcs.push_back({calc.name, v});
      if (compiled_ != nullptr) compiled_->CalcDone(int(slot), v);
    }
    for (size_t k = 0; k < rules_.classifications.size(); ++k) {
      const ir::Classification& c = rules_.classifications[k];
      owner_ = &c.name;
      out_.classifications.push_back(Decide(c, int(k)));
      if (compiled_ != nullptr) compiled_->ClassificationDone(int(k), out_.classifications.back());
    }
    Requirements(form);
    for (size_t i = 0; i < rules_.checks.size(); ++i) {
      const ir::Check& check = rules_.checks[i];
      owner_ = &check.name;
      Truth holds = Truth::kUnknown;
      raised_.clear();
      if (compiled_ != nullptr && compiled_->Check(int(i), holds, raised_)) {
        ReportRaised();
      } else {
        holds = Eval(check.condition).truth;
      }
      if (holds == Truth::kFalse) {
        out_.messages.push_back({check.is_error, MessageSource::kCheck, check.name,
                                 check.message_ja, check.message_en});
      }
    }
  }

 private:
  // ------------------------------------------------------------ requirements

  void Requirements(const FormInput& form) {
    for (size_t i = 0; i < rules_.items.size(); ++i) {
      const ir::Item& item = rules_.items[i];
      if (item.group >= 0) continue;
      Truth asked = SectionAsked(item, form.variant) ? Truth::kTrue : Truth::kFalse;
      if (asked == Truth::kTrue && item.asked_when) {
        owner_ = &item.name;
        raised_.clear();
        if (compiled_ != nullptr && compiled_->AskedWhen(int(i), asked, raised_)) {
          ReportRaised();
        } else {
          asked = Eval(*item.asked_when).truth;
        }
      }
      Requirement met = RequirementOf(item, form.variant, asked, (*states_)[i]);
      if (met != Requirement::kMet) out_.messages.push_back(RequirementMessage(item, met));
    }
  }

  // ------------------------------------------------------------ classification

  ClassificationResult Decide(const ir::Classification& c, int index) {
    ClassificationResult r;
    r.kind = c.kind;
    r.name = c.name;
    r.label = c.label;
    std::vector<Truth> results;
    for (size_t l = 0; l < c.levels.size(); ++l) {
      const ir::Level& level = c.levels[l];
      LevelTrace trace;
      trace.name = level.name;
      trace.label = level.label;
      if (level.condition) {
        raised_.clear();
        if (compiled_ != nullptr && compiled_->Level(index, int(l), trace.result, raised_)) {
          ReportRaised();
        } else {
          trace.result = Eval(*level.condition).truth;
        }
        if (worded_) trace.condition = level.condition->text;
        trace.clauses = Clauses(*level.condition, index, int(l));
      } else {
        trace.result = Truth::kTrue;
        trace.otherwise = true;
      }
      results.push_back(trace.result);
      r.levels.push_back(std::move(trace));
    }
    // The first level that holds while every earlier one fails is the answer;
    // an unknown earlier level leaves the answer open between them.
    bool open = false;
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i] == Truth::kFalse) continue;
      r.candidates.push_back(int(i));
      if (results[i] == Truth::kTrue) {
        if (!open) r.level = int(i);
        break;
      }
      open = true;
    }
    if (r.level >= 0) {
      r.candidates.clear();
      r.qualifies = c.qualifying[r.level] ? Truth::kTrue : Truth::kFalse;
    } else {
      bool any = false, all = !r.candidates.empty();
      for (int k : r.candidates) {
        any = any || c.qualifying[k];
        all = all && c.qualifying[k];
      }
      r.qualifies = r.candidates.empty() ? Truth::kFalse
                    : all                ? Truth::kTrue
                    : any                ? Truth::kUnknown
                                         : Truth::kFalse;
      AddDeciding(c, r);
    }
    levels_.push_back(r);
    return r;
  }

  // Items that would decide an undecided classification: the unknown
  // answers under the parts of the open levels' conditions that are
  // themselves unknown.
  void AddDeciding(const ir::Classification& c, ClassificationResult& r) {
    std::set<int> deciding;
    for (int k : r.candidates) {
      if (!c.levels[k].condition || r.levels[k].result != Truth::kUnknown) continue;
      Deciding(*c.levels[k].condition, deciding);
    }
    for (int slot : deciding) r.deciding_items.push_back(rules_.items[slot].name);
  }

  // Collects the unknown items under `n` that make `n` unknown: only
  // sub-expressions whose own value is unknown are followed, so an item that
  // cannot change the result (the unknown operand of a true "or") is left out.
  void Deciding(const ir::Node& n, std::set<int>& out) {
    if (Eval(n).known()) return;
    switch (n.op) {
      case ir::Op::kItem:
        out.insert(n.slot);
        return;
      case ir::Op::kCalc:
        Deciding(rules_.calcs[size_t(n.slot)].expr, out);
        return;
      case ir::Op::kQualifies:
      case ir::Op::kLevelIs:
        for (const auto& name : levels_[size_t(n.slot)].deciding_items)
          out.insert(rules_.FindItem(name));
        return;
      case ir::Op::kLoop:
      case ir::Op::kIndex:
      case ir::Op::kCountEntries:
        // Loop bodies depend on the loop variable; report every unknown item read.
        for (int slot : n.reads) {
          if (!(*items_)[size_t(slot)].known()) out.insert(slot);
        }
        return;
      default:
        for (const auto& a : n.args) Deciding(a, out);
    }
  }

  void CollectClauses(const ir::Node& n, ir::Op op, std::vector<const ir::Node*>& out) {
    if (n.op == op) {
      for (const auto& a : n.args) CollectClauses(a, op, out);
    } else {
      out.push_back(&n);
    }
  }

  void CollectCalcs(const ir::Node& n, std::set<int>& out) {
    if (n.op == ir::Op::kCalc) out.insert(n.slot);
    for (const auto& a : n.args) CollectCalcs(a, out);
  }

  std::vector<ClauseTrace> Clauses(const ir::Node& condition, int classification, int level) {
    std::vector<const ir::Node*> parts;
    if (condition.op == ir::Op::kAnd || condition.op == ir::Op::kOr) {
      CollectClauses(condition, condition.op, parts);
    } else {
      parts.push_back(&condition);
    }
    std::vector<ClauseTrace> clauses;
    for (const ir::Node* part : parts) {
      ClauseTrace clause;
      if (compiled_ == nullptr ||
          !compiled_->Clause(classification, level, int(clauses.size()), clause.result)) {
        clause.result = Eval(*part).truth;
      }
      if (!worded_) {
        clauses.push_back(std::move(clause));
        continue;
      }
      clause.text = part->text;
      for (int slot : part->reads) {
        const ir::Item& item = rules_.items[slot];
        clause.values.emplace_back(item.name,
                                   ShowItemValue(item.schema, (*items_)[slot], (*states_)[slot]));
      }
      std::set<int> calcs;
      CollectCalcs(*part, calcs);
      for (int slot : calcs) clause.values.emplace_back(rules_.calcs[slot].name, ShowCalc(slot));
      clauses.push_back(std::move(clause));
    }
    return clauses;
  }

  std::string ShowCalc(int slot) const {
    const Value& v = calcs_[slot];
    switch (v.kind) {
      case ir::ValueKind::kTruth:
        return v.truth == Truth::kTrue ? "該当" : v.truth == Truth::kFalse ? "非該当" : "不明";
      case ir::ValueKind::kNumber:
        if (v.number.known()) return FormatNumber(v.number.lo) + rules_.calcs[slot].unit;
        if (std::isfinite(v.number.lo) && std::isfinite(v.number.hi)) {
          return "不明 (" + FormatNumber(v.number.lo) + "〜" + FormatNumber(v.number.hi) + ")";
        }
        return "不明";
      case ir::ValueKind::kText:
        return v.text_known ? v.text : "不明";
      case ir::ValueKind::kList:
        return "[…]";
    }
    return "不明";
  }

  // ------------------------------------------------------------ expressions

  void AddRuntimeError(const std::string& ja, const std::string& en) {
    std::string name = owner_ ? *owner_ : "";
    for (const auto& m : out_.messages) {
      if (m.source == MessageSource::kCalc && m.name == name && m.en == en) return;
    }
    out_.messages.push_back({true, MessageSource::kCalc, name, "「" + name + "」の計算: " + ja,
                             "calculation of '" + name + "': " + en});
  }

  static Value Num(engine::Number n) { return Value::OfNumber(n); }
  static Value Tru(engine::Truth t) { return Value::OfTruth(t); }

  // Both operands, the left one first (C++ leaves the order of function
  // arguments unspecified; run-time errors must come in source order).
  std::pair<Value, Value> Both(const ir::Node& n) {
    Value a = Eval(n.args[0]);
    Value b = Eval(n.args[1]);
    return {std::move(a), std::move(b)};
  }

  Value Eval(const ir::Node& n) {
    if (observer_ == nullptr) return EvalNode(n);
    Value v = EvalNode(n);
    if (v.kind == ir::ValueKind::kTruth) observer_->Seen(n, v.truth);
    return v;
  }

  Value EvalNode(const ir::Node& n) {
    using ir::Op;
    switch (n.op) {
      case Op::kNumber:
        return Num(engine::Number::Exact(n.number));
      case Op::kText:
        return Value::OfText(n.text);
      case Op::kTruth:
        return Tru(n.number != 0 ? Truth::kTrue : Truth::kFalse);
      case Op::kUnknownValue:
        return Value::UnknownOf(n.kind);
      case Op::kItem:
        return (*items_)[n.slot];
      case Op::kCalc:
        return calcs_[n.slot];
      case Op::kLoopVar:
        return Num(engine::Number::Exact(loops_[n.slot]));
      case Op::kQualifies:
        return Tru(levels_[n.slot].qualifies);
      case Op::kLevelIs: {
        const ClassificationResult& r = levels_[n.slot];
        int want = int(n.number);
        if (r.level >= 0) return Tru(r.level == want ? Truth::kTrue : Truth::kFalse);
        bool possible =
            std::find(r.candidates.begin(), r.candidates.end(), want) != r.candidates.end();
        return Tru(possible ? Truth::kUnknown : Truth::kFalse);
      }
      case Op::kIndex: {
        Value list = Eval(n.args[0]);
        engine::Number index = Eval(n.args[1]).number;
        if (!index.known()) return Value::UnknownOf(n.kind);
        auto i = int64_t(index.lo);
        if (i < 1 || i > int64_t(list.list.size())) {
          Report(engine::RuntimeError::kIndexOutOfRange, index.lo, 0);
          return Value::UnknownOf(n.kind);
        }
        return list.list[size_t(i - 1)];
      }
      case Op::kNeg: {
        engine::Number a = Eval(n.args[0]).number;
        return Num({-a.hi, -a.lo});
      }
      case Op::kNot:
        return Tru(engine::Not(Eval(n.args[0]).truth));
      case Op::kAdd:
      case Op::kSub: {
        engine::Number a = Eval(n.args[0]).number;
        engine::Number b = Eval(n.args[1]).number;
        if (n.op == Op::kAdd) return Num({a.lo + b.lo, a.hi + b.hi});
        return Num({a.lo - b.hi, a.hi - b.lo});
      }
      case Op::kMul: {
        auto [a, b] = Both(n);
        return Num(Multiply(a.number, b.number));
      }
      case Op::kDiv: {
        engine::RuntimeError error = engine::RuntimeError::kNone;
        auto [a, b] = Both(n);
        engine::Number r = Divide(a.number, b.number, error);
        Report(error, 0, 0);
        return Num(r);
      }
      case Op::kPow: {
        engine::Number base = Eval(n.args[0]).number;
        engine::Number exponent = Eval(n.args[1]).number;
        engine::RuntimeError error = engine::RuntimeError::kNone;
        engine::Number r = Power(base, exponent, error);
        Report(error, base.lo, exponent.lo);
        return Num(r);
      }
      case Op::kEq:
      case Op::kNe: {
        auto [a, b] = Both(n);
        engine::Truth t = Same(a, b);
        return Tru(n.op == Op::kEq ? t : engine::Not(t));
      }
      case Op::kLt: {
        auto [a, b] = Both(n);
        return Tru(Less(a.number, b.number, false));
      }
      case Op::kLe: {
        auto [a, b] = Both(n);
        return Tru(Less(a.number, b.number, true));
      }
      case Op::kGt: {
        auto [a, b] = Both(n);
        return Tru(Less(b.number, a.number, false));
      }
      case Op::kGe: {
        auto [a, b] = Both(n);
        return Tru(Less(b.number, a.number, true));
      }
      case Op::kAnd: {
        engine::Truth a = Eval(n.args[0]).truth;
        if (a == Truth::kFalse) return Tru(a);
        return Tru(engine::And(a, Eval(n.args[1]).truth));
      }
      case Op::kOr: {
        engine::Truth a = Eval(n.args[0]).truth;
        if (a == Truth::kTrue) return Tru(a);
        return Tru(engine::Or(a, Eval(n.args[1]).truth));
      }
      case Op::kIf: {
        engine::Truth c = Eval(n.args[0]).truth;
        if (c == Truth::kTrue) return Eval(n.args[1]);
        if (c == Truth::kFalse) return Eval(n.args[2]);
        return Join(Eval(n.args[1]), Eval(n.args[2]));
      }
      case Op::kAtLeast: {
        engine::Number k = Eval(n.args[0]).number;
        int yes = 0, open = 0;
        for (size_t i = 1; i < n.args.size(); ++i) {
          engine::Truth t = Eval(n.args[i]).truth;
          yes += t == Truth::kTrue;
          open += t == Truth::kUnknown;
        }
        if (!k.known()) return Tru(Truth::kUnknown);
        if (yes >= k.lo) return Tru(Truth::kTrue);
        if (yes + open < k.lo) return Tru(Truth::kFalse);
        return Tru(Truth::kUnknown);
      }
      case Op::kAnyOf:
      case Op::kAllOf: {
        engine::Truth acc = n.op == Op::kAnyOf ? Truth::kFalse : Truth::kTrue;
        for (const auto& a : n.args) {
          engine::Truth t = Eval(a).truth;
          acc = n.op == Op::kAnyOf ? engine::Or(acc, t) : engine::And(acc, t);
        }
        return Tru(acc);
      }
      case Op::kCases: {
        std::optional<Value> joined;
        for (size_t i = 0; i + 1 < n.args.size(); i += 2) {
          engine::Truth c = Eval(n.args[i]).truth;
          if (c == Truth::kFalse) continue;
          Value v = Eval(n.args[i + 1]);
          joined = joined ? Join(*joined, v) : v;
          if (c == Truth::kTrue) return *joined;
        }
        Value v = Eval(n.args.back());
        return joined ? Join(*joined, v) : v;
      }
      case Op::kLookup:
        return Lookup(n);
      case Op::kSum:
      case Op::kCount:
      case Op::kAvg:
      case Op::kMin:
      case Op::kMax: {
        std::vector<Value> values;
        if (n.args.size() == 1 && n.args[0].kind == ir::ValueKind::kList) {
          values = Eval(n.args[0]).list;
        } else {
          for (const auto& a : n.args) values.push_back(Eval(a));
        }
        return Aggregate(n.op, values);
      }
      case Op::kCountEntries:
        return Num(engine::Number::Exact(double((*groups_)[n.slot])));
      case Op::kLoop: {
        engine::Number lo = Eval(n.args[0]).number;
        engine::Number hi = Eval(n.args[1]).number;
        if (!lo.known() || !hi.known()) return Value::UnknownOf(n.kind);
        if (hi.lo - lo.lo > 10000) {
          Report(engine::RuntimeError::kLoopTooLarge, 0, 0);
          return Value::UnknownOf(n.kind);
        }
        if (int(loops_.size()) <= n.slot) loops_.resize(size_t(n.slot) + 1);
        std::vector<Value> values;
        for (double i = lo.lo; i <= hi.lo; ++i) {
          loops_[size_t(n.slot)] = i;
          values.push_back(Eval(n.args[2]));
        }
        if (n.loop_op == Op::kAnyOf || n.loop_op == Op::kAllOf) {
          engine::Truth acc = n.loop_op == Op::kAnyOf ? Truth::kFalse : Truth::kTrue;
          for (const auto& v : values) {
            acc = n.loop_op == Op::kAnyOf ? engine::Or(acc, v.truth) : engine::And(acc, v.truth);
          }
          return Tru(acc);
        }
        return Aggregate(n.loop_op, values);
      }
      case Op::kRound: {
        engine::Number a = Eval(n.args[0]).number;
        int places = int(n.number);
        return Num({RoundHalfAway(a.lo, places), RoundHalfAway(a.hi, places)});
      }
      case Op::kFloor: {
        engine::Number a = Eval(n.args[0]).number;
        return Num({std::floor(a.lo), std::floor(a.hi)});
      }
      case Op::kAbs: {
        engine::Number a = Eval(n.args[0]).number;
        if (a.lo >= 0) return Num(a);
        if (a.hi <= 0) return Num({-a.hi, -a.lo});
        return Num({0, std::max(-a.lo, a.hi)});
      }
      case Op::kAge:
      case Op::kMonthsBetweenDates: {
        engine::Number a = Eval(n.args[0]).number;
        engine::Number b = Eval(n.args[1]).number;
        if (!a.known() || !b.known()) return Value::UnknownOf(n.kind);
        auto from = int64_t(a.lo), to = int64_t(b.lo);
        int64_t r =
            n.op == Op::kAge ? dsl::CompletedYears(from, to) : dsl::CompletedMonths(from, to);
        return Num(engine::Number::Exact(double(r)));
      }
      case Op::kMonthsBetweenYearMonths: {
        engine::Number a = Eval(n.args[0]).number;
        engine::Number b = Eval(n.args[1]).number;
        return Num({b.lo - a.hi, b.hi - a.lo});
      }
      case Op::kAddMonths: {
        engine::Number a = Eval(n.args[0]).number;
        engine::Number b = Eval(n.args[1]).number;
        return Num({a.lo + b.lo, a.hi + b.hi});
      }
      case Op::kAddMonthsToDate: {
        engine::Number a = Eval(n.args[0]).number;
        engine::Number b = Eval(n.args[1]).number;
        if (!a.known() || !b.known()) return Value::UnknownOf(n.kind);
        return Num(
            engine::Number::Exact(double(dsl::AddMonthsToDate(int64_t(a.lo), int64_t(b.lo)))));
      }
      case Op::kYearMonthOf: {
        engine::Number a = Eval(n.args[0]).number;
        if (!a.known()) return Value::UnknownOf(n.kind);
        return Num(engine::Number::Exact(double(dsl::YearMonthOfDate(int64_t(a.lo)))));
      }
      case Op::kVariant:
        return form_->variant.empty() ? Value::UnknownOf(ir::ValueKind::kText)
                                      : Value::OfText(form_->variant);
      case Op::kFormDate:
        return form_->date ? Num(engine::Number::Exact(double(*form_->date)))
                           : Value::UnknownOf(n.kind);
      case Op::kKnown:
        return Tru(Eval(n.args[0]).known() ? Truth::kTrue : Truth::kFalse);
      case Op::kAnswered:
        return Tru(Eval(n.args[0]).known() ? Truth::kTrue : Truth::kUnknown);
      case Op::kExternal: {
        std::vector<Value> args;
        for (const auto& a : n.args) args.push_back(Eval(a));
        std::string ja, en;
        Value v = CallExternal(rules_.externals[size_t(n.slot)], args, ja, en);
        if (!en.empty()) AddRuntimeError(ja, en);
        return v;
      }
      case Op::kContains: {
        Value list = Eval(n.args[0]);
        if (!list.known()) return Tru(Truth::kUnknown);
        for (const auto& el : list.list) {
          if (el.number.lo == n.number) return Tru(Truth::kTrue);
        }
        return Tru(Truth::kFalse);
      }
    }
    return Value::UnknownOf(n.kind);
  }

  static engine::Truth Same(const Value& a, const Value& b) {
    switch (a.kind) {
      case ir::ValueKind::kNumber:
        return Equal(a.number, b.number);
      case ir::ValueKind::kTruth:
        if (a.truth == Truth::kUnknown || b.truth == Truth::kUnknown) return Truth::kUnknown;
        return a.truth == b.truth ? Truth::kTrue : Truth::kFalse;
      case ir::ValueKind::kText:
        if (!a.text_known || !b.text_known) return Truth::kUnknown;
        return a.text == b.text ? Truth::kTrue : Truth::kFalse;
      case ir::ValueKind::kList:
        return Truth::kUnknown;
    }
    return Truth::kUnknown;
  }

  // The value when a condition is unknown: whatever both branches allow.
  static Value Join(const Value& a, const Value& b) {
    switch (a.kind) {
      case ir::ValueKind::kNumber:
        return Value::OfNumber(Hull(a.number, b.number));
      case ir::ValueKind::kTruth:
        return Value::OfTruth(a.truth == b.truth ? a.truth : Truth::kUnknown);
      case ir::ValueKind::kText:
        if (a.text_known && b.text_known && a.text == b.text) return a;
        return Value::UnknownOf(ir::ValueKind::kText);
      case ir::ValueKind::kList:
        return Value::UnknownOf(ir::ValueKind::kList);
    }
    return a;
  }

  void ReportRaised() {
    for (const auto& e : raised_) {
      if (e.error == engine::RuntimeError::kExternalFunction) {
        AddRuntimeError(e.ja, e.en);
      } else {
        Report(e.error, e.a, e.b);
      }
    }
  }

  void Report(engine::RuntimeError error, double a, double b) {
    if (error == engine::RuntimeError::kNone) return;
    std::string ja, en;
    DescribeRuntimeError(error, a, b, ja, en);
    AddRuntimeError(ja, en);
  }

  static Value Aggregate(ir::Op op, const std::vector<Value>& values) {
    using ir::Op;
    if (op == Op::kCount) {
      double yes = 0, open = 0;
      for (const auto& v : values) {
        yes += v.truth == Truth::kTrue;
        open += v.truth == Truth::kUnknown;
      }
      return Value::OfNumber({yes, yes + open});
    }
    if (values.empty()) return Value::OfNumber(engine::Number::Exact(0));
    if (op == Op::kSum || op == Op::kAvg) {
      engine::Number total = engine::Number::Exact(0);
      for (const auto& v : values) total = {total.lo + v.number.lo, total.hi + v.number.hi};
      if (op == Op::kAvg) {
        auto count = double(values.size());
        total = {total.lo / count, total.hi / count};
      }
      return Value::OfNumber(total);
    }
    engine::Number best = values.front().number;
    for (const auto& v : values) {
      if (op == Op::kMin) {
        best = {std::min(best.lo, v.number.lo), std::min(best.hi, v.number.hi)};
      } else {
        best = {std::max(best.lo, v.number.lo), std::max(best.hi, v.number.hi)};
      }
    }
    return Value::OfNumber(best);
  }

  Value Lookup(const ir::Node& n) {
    const ir::Table& t = rules_.tables[size_t(n.slot)];
    Value row = Eval(n.args[0]);
    Value column = Eval(n.args[1]);
    if (!row.known() || !column.known()) {
      return Value::UnknownOf(t.integer ? ir::ValueKind::kNumber : ir::ValueKind::kText);
    }
    auto find = [](const Value& key, const std::vector<std::string>& headings) -> int {
      for (size_t i = 0; i < headings.size(); ++i) {
        if (key.kind == ir::ValueKind::kText && headings[i] == key.text) return int(i);
        if (key.kind == ir::ValueKind::kNumber && headings[i] == FormatNumber(key.number.lo)) {
          return int(i);
        }
      }
      return -1;
    };
    int r = find(row, t.rows);
    int c = find(column, t.columns);
    if (r < 0 || c < 0) {
      AddRuntimeError("表「" + t.name + "」に該当する見出しがありません",
                      "table '" + t.name + "' has no such heading");
      return Value::UnknownOf(t.integer ? ir::ValueKind::kNumber : ir::ValueKind::kText);
    }
    const std::string& cell = t.cells[size_t(r)][size_t(c)];
    if (t.integer)
      return Value::OfNumber(engine::Number::Exact(std::strtod(cell.c_str(), nullptr)));
    return Value::OfText(cell);
  }

  const ir::RuleSet& rules_;
  Judgment& out_;
  CompiledRules* compiled_ = nullptr;
  bool worded_ = true;  // clause texts, conditions and values read (Explanation::kWorded)
  ConditionObserver* observer_ = nullptr;
  std::vector<RaisedError> raised_;
  const FormInput* form_ = nullptr;
  const std::vector<Value>* items_ = nullptr;
  const std::vector<AnswerState>* states_ = nullptr;
  const std::vector<int64_t>* groups_ = nullptr;
  std::vector<Value> calcs_;
  std::vector<ClassificationResult> levels_;
  std::vector<double> loops_;
  const std::string* owner_ = nullptr;
};

}  // namespace

Judgment Judge(const ir::RuleSet& rules, const FormInput& form, const nlohmann::json& items,
               CompiledRules* compiled, Explanation explanation) {
  return Evaluate(rules, form, BindForm(rules, items), compiled, explanation);
}

namespace {

Judgment Run(const ir::RuleSet& rules, const FormInput& form, const BoundForm& bound,
             CompiledRules* compiled, ConditionObserver* observer, Explanation explanation) {
  Judgment out;
  out.id = form.id;
  out.disease = rules.DiseaseKey();
  out.rule_name = rules.name_ja;
  out.revision = rules.revision;
  out.content_hash = rules.content_hash;
  out.variant = form.variant;
  if (!form.variant.empty() && !rules.variants.empty() &&
      std::find(rules.variants.begin(), rules.variants.end(), form.variant) ==
          rules.variants.end()) {
    std::string known;
    for (const auto& v : rules.variants) known += (known.empty() ? "" : ", ") + v;
    out.messages.push_back({true, MessageSource::kForm, "variant",
                            "様式の区分「" + form.variant + "」はありません (" + known + ")",
                            "unknown form variant '" + form.variant + "' (" + known + ")"});
  }
  Evaluator evaluator(rules, out, compiled, explanation);
  evaluator.Observe(observer);
  evaluator.Run(bound, form);
  return out;
}

}  // namespace

Judgment Evaluate(const ir::RuleSet& rules, const FormInput& form, const BoundForm& bound,
                  CompiledRules* compiled, Explanation explanation) {
  return Run(rules, form, bound, compiled, nullptr, explanation);
}

bool AddDecidingItems(const ir::RuleSet& rules, const FormInput& form, const BoundForm& bound,
                      const std::vector<Value>& calcs, std::vector<ClassificationResult>& judged) {
  Judgment errors;
  Evaluator evaluator(rules, errors, nullptr, Explanation::kTruths);
  return evaluator.DecidingOnly(bound, form, calcs, judged);
}

Judgment Observe(const ir::RuleSet& rules, const FormInput& form, const nlohmann::json& items,
                 ConditionObserver& observer) {
  return Run(rules, form, BindForm(rules, items), nullptr, &observer, Explanation::kWorded);
}

bool Judgment::HasErrors() const {
  for (const auto& m : messages) {
    if (m.is_error) return true;
  }
  return false;
}

const ClassificationResult* Judgment::Find(const std::string& name) const {
  for (const auto& c : classifications) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace kijun::engine
