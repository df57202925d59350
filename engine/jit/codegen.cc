#include "engine/jit/codegen.h"

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/Verifier.h>

#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>

#include "engine/interval_math.h"
#include "engine/jit/text_table.h"
#include "engine/jit/verdict_layout.h"
#include "engine/value.h"
#include "plugins/kijun_plugin.h"

namespace kijun::engine::jit {

namespace {

using ir::Op;
using ir::ValueKind;

// Field numbers of NativeFrame (engine/jit/native_frame.h).
enum Field : unsigned {
  kItemLo,
  kItemHi,
  kItemTruth,
  kElementLo,
  kElementHi,
  kElementTruth,
  kElementStart,
  kCalcLo,
  kCalcHi,
  kCalcTruth,
  kClassLevel,
  kClassCandidates,
  kClassQualifies,
  kGroupEntries,
  kFormDate,
  kFormDateKnown,
  kCurrentRoot,
  kErrors,
  kFormVariant,
};

bool IsTruthItem(const ir::ItemSchema& s) {
  return s.kind == ir::ItemKind::kAnswer || s.kind == ir::ItemKind::kYesNo;
}

bool ListOfScalars(const ir::RuleSet& rules, const ir::Node& n) {
  if (n.op != Op::kItem) return false;
  const ir::ItemSchema& s = rules.items[size_t(n.slot)].schema;
  if (s.kind != ir::ItemKind::kList || s.element_schema.empty()) return false;
  auto e = s.element_schema.front().kind;
  return e != ir::ItemKind::kText && e != ir::ItemKind::kChoices && e != ir::ItemKind::kList;
}

}  // namespace

bool Compilable(const ir::RuleSet& rules, const ir::Node& n) {
  switch (n.op) {
    case Op::kText:
    case Op::kVariant:
      return true;  // texts are numbered (engine/jit/text_table.h)
    case Op::kLookup:
      break;  // its keys are checked below; headings and cells are numbered
    case Op::kContains: {
      const ir::Node& item = n.args[0];
      if (item.op != Op::kItem) return false;
      const ir::Item& choices = rules.items[size_t(item.slot)];
      return choices.group < 0 && choices.schema.kind == ir::ItemKind::kChoices &&
             choices.schema.options.size() <= 53;
    }
    case Op::kIndex:
      return ListOfScalars(rules, n.args[0]) && Compilable(rules, n.args[1]);
    case Op::kSum:
    case Op::kCount:
    case Op::kAvg:
    case Op::kMin:
    case Op::kMax:
      if (n.args.size() == 1 && n.args[0].kind == ValueKind::kList) {
        return ListOfScalars(rules, n.args[0]);
      }
      break;
    case Op::kItem:
      if (n.kind == ValueKind::kText || n.kind == ValueKind::kList) return false;
      return rules.items[size_t(n.slot)].group < 0;
    default:
      break;
  }
  if (n.kind == ValueKind::kList) return false;
  for (const auto& a : n.args) {
    if (!Compilable(rules, a)) return false;
  }
  return true;
}

bool FullyCompilable(const ir::RuleSet& rules) {
  for (const auto& c : rules.calcs) {
    if (!Compilable(rules, c.expr)) return false;
  }
  for (const auto& c : rules.classifications) {
    for (const auto& l : c.levels) {
      if (l.condition && !Compilable(rules, *l.condition)) return false;
    }
  }
  for (const auto& c : rules.checks) {
    if (!Compilable(rules, c.condition)) return false;
  }
  for (const auto& item : rules.items) {
    if (item.group < 0 && item.asked_when && !Compilable(rules, *item.asked_when)) return false;
  }
  return true;
}

namespace {

class Generator {
 public:
  Generator(const ir::RuleSet& rules, llvm::LLVMContext& context, llvm::Module& module)
      : rules_(rules), texts_(TextTable::Of(rules)), c_(context), m_(module), b_(context) {
    f64_ = b_.getDoubleTy();
    i8_ = b_.getInt8Ty();
    i32_ = b_.getInt32Ty();
    i64_ = b_.getInt64Ty();
    ptr_ = b_.getPtrTy();
    std::vector<llvm::Type*> fields(kGroupEntries + 1, ptr_);
    fields.push_back(f64_);  // form_date
    fields.push_back(i32_);  // form_date_known
    fields.push_back(i32_);  // current_root
    fields.push_back(ptr_);  // errors
    fields.push_back(f64_);  // form_variant
    frame_ty_ = llvm::StructType::create(c_, fields, "NativeFrame");
    value_ty_ = llvm::StructType::create(c_, {f64_, f64_, i8_}, "NativeValue");
    auto* fn_ty =
        llvm::FunctionType::get(b_.getVoidTy(), {ptr_, f64_, f64_, f64_, f64_, ptr_}, false);
    rt_mul_ = m_.getOrInsertFunction(
        "kijun_rt_mul",
        llvm::FunctionType::get(b_.getVoidTy(), {f64_, f64_, f64_, f64_, ptr_}, false));
    rt_div_ = m_.getOrInsertFunction("kijun_rt_div", fn_ty);
    rt_pow_ = m_.getOrInsertFunction("kijun_rt_pow", fn_ty);
    rt_table_miss_ = m_.getOrInsertFunction(
        "kijun_rt_table_miss", llvm::FunctionType::get(b_.getVoidTy(), {ptr_, ptr_}, false));
    rt_error_ = m_.getOrInsertFunction(
        "kijun_rt_error", llvm::FunctionType::get(b_.getVoidTy(), {ptr_, i32_, f64_, f64_}, false));
    rt_round_ = m_.getOrInsertFunction("kijun_rt_round",
                                       llvm::FunctionType::get(f64_, {f64_, i32_}, false));
    rt_age_ =
        m_.getOrInsertFunction("kijun_rt_age", llvm::FunctionType::get(f64_, {f64_, f64_}, false));
    rt_months_ = m_.getOrInsertFunction("kijun_rt_months",
                                        llvm::FunctionType::get(f64_, {f64_, f64_}, false));
    rt_year_month_ =
        m_.getOrInsertFunction("kijun_rt_year_month", llvm::FunctionType::get(f64_, {f64_}, false));
    rt_add_months_date_ = m_.getOrInsertFunction(
        "kijun_rt_add_months_to_date", llvm::FunctionType::get(f64_, {f64_, f64_}, false));
    // struct kijun_plugin_value (plugins/kijun_plugin.h): double, int32, int32.
    plugin_value_ty_ = llvm::StructType::create(c_, {f64_, i32_, i32_}, "kijun_plugin_value");
    rt_external_ = m_.getOrInsertFunction(
        "kijun_rt_external",
        llvm::FunctionType::get(b_.getVoidTy(), {ptr_, ptr_, i32_, i32_, ptr_, ptr_, ptr_}, false));
  }

  // Emits `void name(const NativeFrame*, NativeValue*)` computing `root`.
  void Function(const std::string& name, const ir::Node& root) {
    auto* type = llvm::FunctionType::get(b_.getVoidTy(), {ptr_, ptr_}, false);
    fn_ = llvm::Function::Create(type, llvm::Function::ExternalLinkage, name, m_);
    frame_ = fn_->getArg(0);
    llvm::Value* out = fn_->getArg(1);
    entry_ = llvm::BasicBlock::Create(c_, "entry", fn_);
    b_.SetInsertPoint(entry_);
    loop_vars_.clear();
    scratch_ = b_.CreateAlloca(value_ty_, nullptr, "scratch");
    V v = Gen(root);
    b_.CreateStore(v.lo ? v.lo : Const(0), b_.CreateStructGEP(value_ty_, out, 0));
    b_.CreateStore(v.hi ? v.hi : Const(0), b_.CreateStructGEP(value_ty_, out, 1));
    b_.CreateStore(v.t ? v.t : Truth(2), b_.CreateStructGEP(value_ty_, out, 2));
    b_.CreateRetVoid();
  }

  // Emits `void name(NativeFrame*, uint8_t* verdict)`: the whole judgment
  // in the interpreter's order (calculations, classifications, asked-when
  // rules, checks), each rule once, storing what it decides (see
  // NativeJudgeFunction and VerdictLayout).
  void Judge(const std::string& name, const VerdictLayout& layout) {
    auto* type = llvm::FunctionType::get(b_.getVoidTy(), {ptr_, ptr_}, false);
    fn_ = llvm::Function::Create(type, llvm::Function::ExternalLinkage, name, m_);
    frame_ = fn_->getArg(0);
    verdict_ = fn_->getArg(1);
    entry_ = llvm::BasicBlock::Create(c_, "entry", fn_);
    b_.SetInsertPoint(entry_);
    loop_vars_.clear();
    scratch_ = b_.CreateAlloca(value_ty_, nullptr, "scratch");
    for (size_t slot = 0; slot < rules_.calcs.size(); ++slot) {
      const ir::Calc& calc = rules_.calcs[slot];
      SetRoot(int(slot));
      V v = Gen(calc.expr);
      auto index = int64_t(slot);
      if (calc.kind == ValueKind::kTruth) {
        StoreAt(i8_, kCalcTruth, index, v.t);
        continue;
      }
      if (calc.kind == ValueKind::kNumber && calc.places >= 0) {
        auto* places = b_.getInt32(uint32_t(calc.places));
        v = {b_.CreateCall(rt_round_, {v.lo, places}), b_.CreateCall(rt_round_, {v.hi, places}),
             nullptr};
      }
      StoreAt(f64_, kCalcLo, index, v.lo);
      StoreAt(f64_, kCalcHi, index, v.hi);
    }
    for (size_t k = 0; k < rules_.classifications.size(); ++k) Decide(int(k), layout);
    for (size_t slot = 0; slot < rules_.items.size(); ++slot) {
      int at = layout.asked[slot];
      if (at < 0) continue;
      SetRoot(layout.asked_root[slot]);
      Verdict(at, Gen(*rules_.items[slot].asked_when).t);
    }
    for (size_t i = 0; i < rules_.checks.size(); ++i) {
      SetRoot(layout.check_root[i]);
      Verdict(layout.check[i], Gen(rules_.checks[i].condition).t);
    }
    b_.CreateRetVoid();
  }

 private:
  void SetRoot(int root) {
    b_.CreateStore(b_.getInt32(uint32_t(root)),
                   b_.CreateStructGEP(frame_ty_, frame_, kCurrentRoot));
  }
  void StoreAt(llvm::Type* type, enum Field f, int64_t index, llvm::Value* v) {
    b_.CreateStore(v, b_.CreateInBoundsGEP(type, Field(f), b_.getInt64(uint64_t(index))));
  }
  void Verdict(int offset, llvm::Value* truth) {
    b_.CreateStore(truth, b_.CreateInBoundsGEP(i8_, verdict_, b_.getInt64(uint64_t(offset))));
  }

  // Classification `k`: each level's condition clause by clause (every
  // clause evaluated, for the explanation; and/or are associative in
  // Kleene logic, so folding the clauses gives the condition's value), then
  // the decision exactly as the interpreter's Decide makes it.
  void Decide(int k, const VerdictLayout& layout) {
    const ir::Classification& c = rules_.classifications[size_t(k)];
    llvm::Value* done = b_.getFalse();
    llvm::Value* open = b_.getFalse();
    llvm::Value* level = b_.getInt32(uint32_t(-1));
    llvm::Value* candidates = b_.getInt64(0);
    uint64_t qualifying = 0;
    for (size_t l = 0; l < c.levels.size(); ++l) {
      if (c.qualifying[l]) qualifying |= uint64_t{1} << l;
      llvm::Value* t = Truth(1);
      if (c.levels[l].condition) {
        const ir::Node& condition = *c.levels[l].condition;
        SetRoot(layout.level_root[size_t(k)][l]);
        auto clauses = ConditionClauses(condition);
        bool is_and = condition.op == Op::kAnd;
        bool folded = clauses.size() > 1;
        t = folded ? Truth(is_and ? 1 : 0) : nullptr;
        int at = layout.clause_start[size_t(k)][l];
        for (size_t i = 0; i < clauses.size(); ++i) {
          llvm::Value* ct = Gen(*clauses[i]).t;
          Verdict(at + int(i), ct);
          t = !folded ? ct : is_and ? TruthAnd(t, ct) : TruthOr(t, ct);
        }
        Verdict(layout.level[size_t(k)][l], t);
      }
      // The first level that holds while every earlier one fails is the
      // answer; an unknown earlier level leaves it open between them.
      llvm::Value* active = b_.CreateNot(done);
      llvm::Value* possible = b_.CreateAnd(active, b_.CreateICmpNE(t, Truth(0)));
      llvm::Value* holds = b_.CreateAnd(active, b_.CreateICmpEQ(t, Truth(1)));
      candidates = b_.CreateSelect(possible, b_.CreateOr(candidates, b_.getInt64(uint64_t{1} << l)),
                                   candidates);
      level =
          b_.CreateSelect(b_.CreateAnd(holds, b_.CreateNot(open)), b_.getInt32(uint32_t(l)), level);
      open = b_.CreateOr(open, b_.CreateAnd(possible, b_.CreateNot(holds)));
      done = b_.CreateOr(done, holds);
    }
    llvm::Value* decided = b_.CreateICmpSGE(level, b_.getInt32(0));
    llvm::Value* mask = b_.getInt64(qualifying);
    llvm::Value* bit = b_.CreateShl(
        b_.getInt64(1), b_.CreateZExt(b_.CreateSelect(decided, level, b_.getInt32(0)), i64_));
    llvm::Value* decided_qualifies = b_.CreateSelect(
        b_.CreateICmpNE(b_.CreateAnd(bit, mask), b_.getInt64(0)), Truth(1), Truth(0));
    llvm::Value* none = b_.CreateICmpEQ(candidates, b_.getInt64(0));
    llvm::Value* any = b_.CreateICmpNE(b_.CreateAnd(candidates, mask), b_.getInt64(0));
    llvm::Value* all =
        b_.CreateICmpEQ(b_.CreateAnd(candidates, b_.CreateNot(mask)), b_.getInt64(0));
    llvm::Value* open_qualifies = b_.CreateSelect(
        none, Truth(0), b_.CreateSelect(all, Truth(1), b_.CreateSelect(any, Truth(2), Truth(0))));
    StoreAt(i32_, kClassLevel, k, level);
    StoreAt(i64_, kClassCandidates, k, b_.CreateSelect(decided, b_.getInt64(0), candidates));
    StoreAt(i8_, kClassQualifies, k, b_.CreateSelect(decided, decided_qualifies, open_qualifies));
  }

  // A value under construction: numbers use lo/hi, truths use t.
  struct V {
    llvm::Value* lo = nullptr;
    llvm::Value* hi = nullptr;
    llvm::Value* t = nullptr;
  };

  llvm::Value* Const(double v) { return llvm::ConstantFP::get(f64_, v); }
  llvm::Value* Truth(int v) { return llvm::ConstantInt::get(i8_, v); }
  V Exact(llvm::Value* v) { return {v, v, nullptr}; }
  V UnknownOf(ValueKind kind) {
    if (kind == ValueKind::kTruth) return {nullptr, nullptr, Truth(2)};
    if (kind == ValueKind::kText) return {Const(-1), Const(-1), nullptr};  // text_table.h
    double inf = std::numeric_limits<double>::infinity();
    return {Const(-inf), Const(inf), nullptr};
  }

  llvm::Value* Field(Field f) {
    llvm::Type* type = f == kFormDate || f == kFormVariant ? f64_
                       : f == kFormDateKnown               ? i32_
                                                           : ptr_;
    return Invariant(b_.CreateLoad(type, b_.CreateStructGEP(frame_ty_, frame_, f)));
  }
  llvm::Value* LoadAt(llvm::Type* type, enum Field f, llvm::Value* index) {
    llvm::LoadInst* load = b_.CreateLoad(type, b_.CreateInBoundsGEP(type, Field(f), index));
    // The form's answers never change while rules run; calculated values
    // and decisions are written by the fused judge, so only those are
    // loaded again after a store.
    bool answers = f == kItemLo || f == kItemHi || f == kItemTruth || f == kElementLo ||
                   f == kElementHi || f == kElementTruth || f == kElementStart ||
                   f == kGroupEntries;
    return answers ? Invariant(load) : load;
  }
  // The frame's fields (the arrays' addresses, the form's date and variant)
  // are never written by compiled code (current_root is only stored), so
  // their loads may be merged across the judge's stores.
  llvm::Value* Invariant(llvm::LoadInst* load) {
    load->setMetadata(llvm::LLVMContext::MD_invariant_load, llvm::MDNode::get(c_, {}));
    return load;
  }
  llvm::Value* LoadAt(llvm::Type* type, enum Field f, int64_t index) {
    return LoadAt(type, f, b_.getInt64(uint64_t(index)));
  }

  // std::min(a, b) and std::max(a, b), exactly: the first argument wins ties.
  llvm::Value* Min(llvm::Value* a, llvm::Value* b) {
    return b_.CreateSelect(b_.CreateFCmpOLT(b, a), b, a);
  }
  llvm::Value* Max(llvm::Value* a, llvm::Value* b) {
    return b_.CreateSelect(b_.CreateFCmpOLT(a, b), b, a);
  }
  llvm::Value* Known(const V& v) { return b_.CreateFCmpOEQ(v.lo, v.hi); }
  llvm::Value* KnownText(const V& v) { return b_.CreateFCmpOGE(v.lo, Const(0)); }
  // Whether a value of `kind` is known.
  llvm::Value* KnownOf(const V& v, ValueKind kind) {
    if (kind == ValueKind::kTruth) return b_.CreateICmpNE(v.t, Truth(2));
    return kind == ValueKind::kText ? KnownText(v) : Known(v);
  }

  llvm::Value* TruthAnd(llvm::Value* a, llvm::Value* b) {
    auto* either_false = b_.CreateOr(b_.CreateICmpEQ(a, Truth(0)), b_.CreateICmpEQ(b, Truth(0)));
    auto* both_true = b_.CreateAnd(b_.CreateICmpEQ(a, Truth(1)), b_.CreateICmpEQ(b, Truth(1)));
    return b_.CreateSelect(either_false, Truth(0), b_.CreateSelect(both_true, Truth(1), Truth(2)));
  }
  llvm::Value* TruthOr(llvm::Value* a, llvm::Value* b) {
    auto* either_true = b_.CreateOr(b_.CreateICmpEQ(a, Truth(1)), b_.CreateICmpEQ(b, Truth(1)));
    auto* both_false = b_.CreateAnd(b_.CreateICmpEQ(a, Truth(0)), b_.CreateICmpEQ(b, Truth(0)));
    return b_.CreateSelect(either_true, Truth(1), b_.CreateSelect(both_false, Truth(0), Truth(2)));
  }
  llvm::Value* TruthNot(llvm::Value* a) {
    return b_.CreateSelect(b_.CreateICmpEQ(a, Truth(2)), Truth(2),
                           b_.CreateSelect(b_.CreateICmpEQ(a, Truth(1)), Truth(0), Truth(1)));
  }

  llvm::Value* LessTruth(const V& a, const V& b, bool or_equal) {
    llvm::Value* yes = or_equal ? b_.CreateFCmpOLE(a.hi, b.lo) : b_.CreateFCmpOLT(a.hi, b.lo);
    llvm::Value* no = or_equal ? b_.CreateFCmpOGT(a.lo, b.hi) : b_.CreateFCmpOGE(a.lo, b.hi);
    return b_.CreateSelect(yes, Truth(1), b_.CreateSelect(no, Truth(0), Truth(2)));
  }

  llvm::Value* EqualTruth(const V& a, const V& b, ValueKind kind) {
    if (kind == ValueKind::kText) {
      auto* both = b_.CreateAnd(KnownText(a), KnownText(b));
      auto* same = b_.CreateSelect(b_.CreateFCmpOEQ(a.lo, b.lo), Truth(1), Truth(0));
      return b_.CreateSelect(both, same, Truth(2));
    }
    if (kind == ValueKind::kTruth) {
      auto* unknown = b_.CreateOr(b_.CreateICmpEQ(a.t, Truth(2)), b_.CreateICmpEQ(b.t, Truth(2)));
      return b_.CreateSelect(unknown, Truth(2),
                             b_.CreateSelect(b_.CreateICmpEQ(a.t, b.t), Truth(1), Truth(0)));
    }
    auto* both = b_.CreateAnd(Known(a), Known(b));
    auto* same = b_.CreateSelect(b_.CreateFCmpOEQ(a.lo, b.lo), Truth(1), Truth(0));
    auto* apart = b_.CreateOr(b_.CreateFCmpOLT(a.hi, b.lo), b_.CreateFCmpOLT(b.hi, a.lo));
    return b_.CreateSelect(both, same, b_.CreateSelect(apart, Truth(0), Truth(2)));
  }

  // The value when a condition is unknown: whatever both branches allow.
  V Join(const V& a, const V& b, ValueKind kind) {
    if (kind == ValueKind::kText) {
      auto* same = b_.CreateAnd(KnownText(a), b_.CreateFCmpOEQ(a.lo, b.lo));
      llvm::Value* id = b_.CreateSelect(same, a.lo, Const(-1));
      return {id, id, nullptr};
    }
    if (kind == ValueKind::kTruth) {
      return {nullptr, nullptr, b_.CreateSelect(b_.CreateICmpEQ(a.t, b.t), a.t, Truth(2))};
    }
    return {Min(a.lo, b.lo), Max(a.hi, b.hi), nullptr};
  }

  // A value that different branches produce: kept in memory, loaded after.
  struct Slot {
    llvm::Value* lo;
    llvm::Value* hi;
    llvm::Value* t;
  };
  Slot NewSlot() {
    llvm::IRBuilder<> at(entry_, entry_->begin());
    return {at.CreateAlloca(f64_), at.CreateAlloca(f64_), at.CreateAlloca(i8_)};
  }
  void Put(const Slot& s, const V& v) {
    b_.CreateStore(v.lo ? v.lo : Const(0), s.lo);
    b_.CreateStore(v.hi ? v.hi : Const(0), s.hi);
    b_.CreateStore(v.t ? v.t : Truth(2), s.t);
  }
  V Get(const Slot& s, ValueKind kind) {
    if (kind == ValueKind::kTruth) return {nullptr, nullptr, b_.CreateLoad(i8_, s.t)};
    return {b_.CreateLoad(f64_, s.lo), b_.CreateLoad(f64_, s.hi), nullptr};
  }
  llvm::BasicBlock* Block(const char* name) { return llvm::BasicBlock::Create(c_, name, fn_); }

  V CallPair(llvm::FunctionCallee callee, std::vector<llvm::Value*> args) {
    args.push_back(scratch_);
    b_.CreateCall(callee, args);
    return {b_.CreateLoad(f64_, b_.CreateStructGEP(value_ty_, scratch_, 0)),
            b_.CreateLoad(f64_, b_.CreateStructGEP(value_ty_, scratch_, 1)), nullptr};
  }

  V Item(int slot) {
    const ir::Item& item = rules_.items[size_t(slot)];
    if (IsTruthItem(item.schema)) return {nullptr, nullptr, LoadAt(i8_, kItemTruth, slot)};
    return {LoadAt(f64_, kItemLo, slot), LoadAt(f64_, kItemHi, slot), nullptr};
  }

  // Element `position` (0-based, an i64 value) of list item `slot`.
  V Element(int slot, llvm::Value* position) {
    llvm::Value* start = b_.CreateSExt(LoadAt(i32_, kElementStart, slot), i64_);
    llvm::Value* at = b_.CreateAdd(start, position);
    const ir::ItemSchema& element = rules_.items[size_t(slot)].schema.element_schema.front();
    if (IsTruthItem(element)) return {nullptr, nullptr, LoadAt(i8_, kElementTruth, at)};
    return {LoadAt(f64_, kElementLo, at), LoadAt(f64_, kElementHi, at), nullptr};
  }

  // Running aggregate state, mirroring the interpreter's Aggregate().
  struct Accumulator {
    Op op;
    ValueKind kind;
    llvm::Value* lo;  // sum / min / max
    llvm::Value* hi;
    llvm::Value* yes;  // count (double)
    llvm::Value* open;
    llvm::Value* n;      // values seen (double)
    llvm::Value* truth;  // any / all
  };
  Accumulator NewAccumulator(Op op, ValueKind kind) {
    llvm::IRBuilder<> at(entry_, entry_->begin());
    Accumulator a{op,
                  kind,
                  at.CreateAlloca(f64_),
                  at.CreateAlloca(f64_),
                  at.CreateAlloca(f64_),
                  at.CreateAlloca(f64_),
                  at.CreateAlloca(f64_),
                  at.CreateAlloca(i8_)};
    for (auto* p : {a.lo, a.hi, a.yes, a.open, a.n}) b_.CreateStore(Const(0), p);
    b_.CreateStore(Truth(op == Op::kAnyOf ? 0 : 1), a.truth);
    return a;
  }
  void Accumulate(const Accumulator& a, const V& v) {
    llvm::Value* n = b_.CreateLoad(f64_, a.n);
    switch (a.op) {
      case Op::kCount: {
        auto* yes = b_.CreateLoad(f64_, a.yes);
        auto* open = b_.CreateLoad(f64_, a.open);
        b_.CreateStore(b_.CreateFAdd(yes, b_.CreateUIToFP(b_.CreateICmpEQ(v.t, Truth(1)), f64_)),
                       a.yes);
        b_.CreateStore(b_.CreateFAdd(open, b_.CreateUIToFP(b_.CreateICmpEQ(v.t, Truth(2)), f64_)),
                       a.open);
        break;
      }
      case Op::kAnyOf:
      case Op::kAllOf: {
        auto* acc = b_.CreateLoad(i8_, a.truth);
        b_.CreateStore(a.op == Op::kAnyOf ? TruthOr(acc, v.t) : TruthAnd(acc, v.t), a.truth);
        break;
      }
      case Op::kSum:
      case Op::kAvg:
        b_.CreateStore(b_.CreateFAdd(b_.CreateLoad(f64_, a.lo), v.lo), a.lo);
        b_.CreateStore(b_.CreateFAdd(b_.CreateLoad(f64_, a.hi), v.hi), a.hi);
        break;
      case Op::kMin:
      case Op::kMax: {
        // The first value starts the fold (and meets itself again, as in the
        // interpreter, which is harmless).
        auto* first = b_.CreateFCmpOEQ(n, Const(0));
        auto* lo = b_.CreateSelect(first, v.lo, b_.CreateLoad(f64_, a.lo));
        auto* hi = b_.CreateSelect(first, v.hi, b_.CreateLoad(f64_, a.hi));
        bool min = a.op == Op::kMin;
        b_.CreateStore(min ? Min(lo, v.lo) : Max(lo, v.lo), a.lo);
        b_.CreateStore(min ? Min(hi, v.hi) : Max(hi, v.hi), a.hi);
        break;
      }
      default:
        break;
    }
    b_.CreateStore(b_.CreateFAdd(n, Const(1)), a.n);
  }
  V Result(const Accumulator& a) {
    switch (a.op) {
      case Op::kCount: {
        auto* yes = b_.CreateLoad(f64_, a.yes);
        return {yes, b_.CreateFAdd(yes, b_.CreateLoad(f64_, a.open)), nullptr};
      }
      case Op::kAnyOf:
      case Op::kAllOf:
        return {nullptr, nullptr, b_.CreateLoad(i8_, a.truth)};
      case Op::kAvg: {
        auto* n = b_.CreateLoad(f64_, a.n);
        auto* empty = b_.CreateFCmpOEQ(n, Const(0));
        auto* lo = b_.CreateFDiv(b_.CreateLoad(f64_, a.lo), n);
        auto* hi = b_.CreateFDiv(b_.CreateLoad(f64_, a.hi), n);
        return {b_.CreateSelect(empty, Const(0), lo), b_.CreateSelect(empty, Const(0), hi),
                nullptr};
      }
      default:  // sum, min, max: empty gives 0
        return {b_.CreateLoad(f64_, a.lo), b_.CreateLoad(f64_, a.hi), nullptr};
    }
  }

  V Gen(const ir::Node& n) {
    switch (n.op) {
      case Op::kNumber:
        return Exact(Const(n.number));
      case Op::kTruth:
        return {nullptr, nullptr, Truth(n.number != 0 ? 1 : 0)};
      case Op::kUnknownValue:
        return UnknownOf(n.kind);
      case Op::kItem:
        return Item(n.slot);
      case Op::kCalc:
        if (rules_.calcs[size_t(n.slot)].kind == ValueKind::kTruth) {
          return {nullptr, nullptr, LoadAt(i8_, kCalcTruth, n.slot)};
        }
        return {LoadAt(f64_, kCalcLo, n.slot), LoadAt(f64_, kCalcHi, n.slot), nullptr};
      case Op::kLoopVar:
        return Exact(b_.CreateLoad(f64_, loop_vars_.at(size_t(n.slot))));
      case Op::kQualifies:
        return {nullptr, nullptr, LoadAt(i8_, kClassQualifies, n.slot)};
      case Op::kLevelIs: {
        auto* level = LoadAt(i32_, kClassLevel, n.slot);
        auto* bits = LoadAt(i64_, kClassCandidates, n.slot);
        auto want = uint64_t(n.number);
        auto* decided = b_.CreateICmpSGE(level, b_.getInt32(0));
        auto* is = b_.CreateSelect(b_.CreateICmpEQ(level, b_.getInt32(uint32_t(want))), Truth(1),
                                   Truth(0));
        auto* possible =
            b_.CreateICmpNE(b_.CreateAnd(bits, b_.getInt64(uint64_t{1} << want)), b_.getInt64(0));
        return {nullptr, nullptr,
                b_.CreateSelect(decided, is, b_.CreateSelect(possible, Truth(2), Truth(0)))};
      }
      case Op::kIndex:
        return Index(n);
      case Op::kNeg: {
        V a = Gen(n.args[0]);
        return {b_.CreateFNeg(a.hi), b_.CreateFNeg(a.lo), nullptr};
      }
      case Op::kNot:
        return {nullptr, nullptr, TruthNot(Gen(n.args[0]).t)};
      case Op::kAdd:
      case Op::kSub: {
        V a = Gen(n.args[0]);
        V b = Gen(n.args[1]);
        if (n.op == Op::kAdd)
          return {b_.CreateFAdd(a.lo, b.lo), b_.CreateFAdd(a.hi, b.hi), nullptr};
        return {b_.CreateFSub(a.lo, b.hi), b_.CreateFSub(a.hi, b.lo), nullptr};
      }
      case Op::kMul: {
        V a = Gen(n.args[0]);
        V b = Gen(n.args[1]);
        return CallPair(rt_mul_, {a.lo, a.hi, b.lo, b.hi});
      }
      case Op::kDiv:
      case Op::kPow: {
        V a = Gen(n.args[0]);
        V b = Gen(n.args[1]);
        return CallPair(n.op == Op::kDiv ? rt_div_ : rt_pow_, {frame_, a.lo, a.hi, b.lo, b.hi});
      }
      case Op::kEq:
      case Op::kNe: {
        V a = Gen(n.args[0]);
        V b = Gen(n.args[1]);
        llvm::Value* t = EqualTruth(a, b, n.args[0].kind);
        return {nullptr, nullptr, n.op == Op::kEq ? t : TruthNot(t)};
      }
      case Op::kLt:
      case Op::kLe:
      case Op::kGt:
      case Op::kGe: {
        V a = Gen(n.args[0]);
        V b = Gen(n.args[1]);
        bool or_equal = n.op == Op::kLe || n.op == Op::kGe;
        bool swapped = n.op == Op::kGt || n.op == Op::kGe;
        return {nullptr, nullptr, swapped ? LessTruth(b, a, or_equal) : LessTruth(a, b, or_equal)};
      }
      case Op::kAnd:
      case Op::kOr:
        return ShortCircuit(n);
      case Op::kIf:
        return If(n);
      case Op::kAtLeast: {
        V k = Gen(n.args[0]);
        llvm::Value* yes = Const(0);
        llvm::Value* open = Const(0);
        for (size_t i = 1; i < n.args.size(); ++i) {
          llvm::Value* t = Gen(n.args[i]).t;
          yes = b_.CreateFAdd(yes, b_.CreateUIToFP(b_.CreateICmpEQ(t, Truth(1)), f64_));
          open = b_.CreateFAdd(open, b_.CreateUIToFP(b_.CreateICmpEQ(t, Truth(2)), f64_));
        }
        auto* reached = b_.CreateFCmpOGE(yes, k.lo);
        auto* unreachable = b_.CreateFCmpOLT(b_.CreateFAdd(yes, open), k.lo);
        llvm::Value* t =
            b_.CreateSelect(reached, Truth(1), b_.CreateSelect(unreachable, Truth(0), Truth(2)));
        return {nullptr, nullptr, b_.CreateSelect(Known(k), t, Truth(2))};
      }
      case Op::kAnyOf:
      case Op::kAllOf: {
        llvm::Value* acc = Truth(n.op == Op::kAnyOf ? 0 : 1);
        for (const auto& a : n.args) {
          llvm::Value* t = Gen(a).t;
          acc = n.op == Op::kAnyOf ? TruthOr(acc, t) : TruthAnd(acc, t);
        }
        return {nullptr, nullptr, acc};
      }
      case Op::kCases:
        return Cases(n);
      case Op::kSum:
      case Op::kCount:
      case Op::kAvg:
      case Op::kMin:
      case Op::kMax: {
        Accumulator acc = NewAccumulator(n.op, n.kind);
        if (n.args.size() == 1 && n.args[0].kind == ValueKind::kList) {
          int slot = n.args[0].slot;
          int size = rules_.items[size_t(slot)].schema.list_size;
          for (int i = 0; i < size; ++i) Accumulate(acc, Element(slot, b_.getInt64(uint64_t(i))));
        } else {
          for (const auto& a : n.args) Accumulate(acc, Gen(a));
        }
        return Result(acc);
      }
      case Op::kCountEntries:
        return Exact(b_.CreateSIToFP(LoadAt(i64_, kGroupEntries, n.slot), f64_));
      case Op::kLoop:
        return Loop(n);
      case Op::kRound: {
        V a = Gen(n.args[0]);
        auto* places = b_.getInt32(uint32_t(n.number));
        return {b_.CreateCall(rt_round_, {a.lo, places}), b_.CreateCall(rt_round_, {a.hi, places}),
                nullptr};
      }
      case Op::kFloor: {
        V a = Gen(n.args[0]);
        return {b_.CreateUnaryIntrinsic(llvm::Intrinsic::floor, a.lo),
                b_.CreateUnaryIntrinsic(llvm::Intrinsic::floor, a.hi), nullptr};
      }
      case Op::kAbs: {
        V a = Gen(n.args[0]);
        auto* positive = b_.CreateFCmpOGE(a.lo, Const(0));
        auto* negative = b_.CreateFCmpOLE(a.hi, Const(0));
        auto* neg_lo = b_.CreateFNeg(a.lo);
        auto* neg_hi = b_.CreateFNeg(a.hi);
        auto* lo = b_.CreateSelect(positive, a.lo, b_.CreateSelect(negative, neg_hi, Const(0)));
        auto* hi =
            b_.CreateSelect(positive, a.hi, b_.CreateSelect(negative, neg_lo, Max(neg_lo, a.hi)));
        return {lo, hi, nullptr};
      }
      case Op::kAge:
      case Op::kMonthsBetweenDates: {
        V a = Gen(n.args[0]);
        V b = Gen(n.args[1]);
        auto* known = b_.CreateAnd(Known(a), Known(b));
        auto* r = b_.CreateCall(n.op == Op::kAge ? rt_age_ : rt_months_, {a.lo, b.lo});
        V unknown = UnknownOf(ValueKind::kNumber);
        return {b_.CreateSelect(known, r, unknown.lo), b_.CreateSelect(known, r, unknown.hi),
                nullptr};
      }
      case Op::kMonthsBetweenYearMonths: {
        V a = Gen(n.args[0]);
        V b = Gen(n.args[1]);
        return {b_.CreateFSub(b.lo, a.hi), b_.CreateFSub(b.hi, a.lo), nullptr};
      }
      case Op::kAddMonths: {
        V a = Gen(n.args[0]);
        V b = Gen(n.args[1]);
        return {b_.CreateFAdd(a.lo, b.lo), b_.CreateFAdd(a.hi, b.hi), nullptr};
      }
      case Op::kAddMonthsToDate: {
        V a = Gen(n.args[0]);
        V b = Gen(n.args[1]);
        auto* known = b_.CreateAnd(Known(a), Known(b));
        auto* r = b_.CreateCall(rt_add_months_date_, {a.lo, b.lo});
        V unknown = UnknownOf(ValueKind::kNumber);
        return {b_.CreateSelect(known, r, unknown.lo), b_.CreateSelect(known, r, unknown.hi),
                nullptr};
      }
      case Op::kYearMonthOf: {
        V a = Gen(n.args[0]);
        auto* r = b_.CreateCall(rt_year_month_, {a.lo});
        V unknown = UnknownOf(ValueKind::kNumber);
        return {b_.CreateSelect(Known(a), r, unknown.lo), b_.CreateSelect(Known(a), r, unknown.hi),
                nullptr};
      }
      case Op::kKnown: {
        V a = Gen(n.args[0]);
        llvm::Value* known = KnownOf(a, n.args[0].kind);
        return {nullptr, nullptr, b_.CreateSelect(known, Truth(1), Truth(0))};
      }
      case Op::kAnswered: {
        V a = Gen(n.args[0]);
        llvm::Value* known = KnownOf(a, n.args[0].kind);
        return {nullptr, nullptr, b_.CreateSelect(known, Truth(1), Truth(2))};
      }
      case Op::kFormDate: {
        auto* known = b_.CreateICmpNE(Field(kFormDateKnown), b_.getInt32(0));
        auto* date = Field(kFormDate);
        V unknown = UnknownOf(ValueKind::kNumber);
        return {b_.CreateSelect(known, date, unknown.lo), b_.CreateSelect(known, date, unknown.hi),
                nullptr};
      }
      case Op::kExternal:
        return External(n);
      case Op::kText:
        return Exact(Const(texts_.Find(n.text)));
      case Op::kVariant:
        return Exact(Field(kFormVariant));
      case Op::kContains:
        return Contains(n);
      case Op::kLookup:
        return Lookup(n);
    }
    return UnknownOf(n.kind);
  }

  // A plugin function, as engine::CallExternal does it: every argument
  // evaluated, in order; the function called (directly, by its symbol) only
  // when all are known exactly; what it returned read by the runtime, which
  // shares the interpreter's code for it.
  V External(const ir::Node& n) {
    const ir::External& f = rules_.externals[size_t(n.slot)];
    std::vector<V> args;
    for (const auto& a : n.args) args.push_back(Gen(a));
    Slot result = NewSlot();
    Put(result, UnknownOf(n.kind));
    llvm::Value* known = b_.getTrue();
    for (size_t i = 0; i < args.size(); ++i) {
      llvm::Value* k = n.args[i].kind == ValueKind::kTruth ? b_.CreateICmpNE(args[i].t, Truth(2))
                                                           : Known(args[i]);
      known = b_.CreateAnd(known, k);
    }
    auto* call = Block("external.call");
    auto* done = Block("external.done");
    b_.CreateCondBr(known, call, done);
    b_.SetInsertPoint(call);
    llvm::IRBuilder<> at(entry_, entry_->begin());
    auto* packed = at.CreateAlloca(llvm::ArrayType::get(plugin_value_ty_, args.size() + 1));
    auto* returned = at.CreateAlloca(plugin_value_ty_);
    auto* message = at.CreateAlloca(
        llvm::ArrayType::get(i8_, 2 * static_cast<uint64_t>(KIJUN_PLUGIN_MESSAGE_SIZE)));
    for (size_t i = 0; i < args.size(); ++i) {
      llvm::Value* slot = b_.CreateInBoundsGEP(plugin_value_ty_, packed, b_.getInt64(i));
      bool truth = n.args[i].kind == ValueKind::kTruth;
      b_.CreateStore(truth ? Const(0) : args[i].lo, b_.CreateStructGEP(plugin_value_ty_, slot, 0));
      b_.CreateStore(truth ? b_.CreateZExt(args[i].t, i32_) : b_.getInt32(0),
                     b_.CreateStructGEP(plugin_value_ty_, slot, 1));
      b_.CreateStore(b_.getInt32(0), b_.CreateStructGEP(plugin_value_ty_, slot, 2));
    }
    b_.CreateStore(Const(0), b_.CreateStructGEP(plugin_value_ty_, returned, 0));
    b_.CreateStore(b_.getInt32(KIJUN_PLUGIN_UNKNOWN),
                   b_.CreateStructGEP(plugin_value_ty_, returned, 1));
    b_.CreateStore(b_.getInt32(0), b_.CreateStructGEP(plugin_value_ty_, returned, 2));
    b_.CreateStore(b_.getInt8(0), message);
    b_.CreateStore(b_.getInt8(0),
                   b_.CreateInBoundsGEP(i8_, message, b_.getInt64(KIJUN_PLUGIN_MESSAGE_SIZE)));
    llvm::Value* status = b_.CreateCall(PluginFunction(f), {packed, returned, message});
    b_.CreateCall(rt_external_, {frame_, Name(f.name), b_.getInt32(uint32_t(f.result)), status,
                                 returned, message, scratch_});
    V v;
    if (n.kind == ValueKind::kTruth) {
      v.t = b_.CreateLoad(i8_, b_.CreateStructGEP(value_ty_, scratch_, 2));
    } else {
      v.lo = b_.CreateLoad(f64_, b_.CreateStructGEP(value_ty_, scratch_, 0));
      v.hi = b_.CreateLoad(f64_, b_.CreateStructGEP(value_ty_, scratch_, 1));
    }
    Put(result, v);
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
    return Get(result, n.kind);
  }

  // `int32_t symbol(const kijun_plugin_value*, kijun_plugin_value*,
  // kijun_plugin_message*)`, resolved by name when the code is linked, so a
  // cached object works in any process that loaded the plugin.
  llvm::FunctionCallee PluginFunction(const ir::External& f) {
    auto callee =
        m_.getOrInsertFunction(f.symbol, llvm::FunctionType::get(i32_, {ptr_, ptr_, ptr_}, false));
    if (auto* fn = llvm::dyn_cast<llvm::Function>(callee.getCallee())) {
      fn->addFnAttr(llvm::Attribute::NoUnwind);  // the ABI forbids unwinding
    }
    return callee;
  }

  // The function's name as a constant string in the module, for messages.
  llvm::Value* Name(const std::string& name) {
    auto it = names_.find(name);
    if (it != names_.end()) return it->second;
    llvm::Value* global = b_.CreateGlobalString(name, "kijun_fn_name", 0, &m_);
    names_[name] = global;
    return global;
  }

  // lookup TABLE[row, column], as the interpreter's Lookup: unknown when a
  // key is unknown; the first heading equal to the key (texts by id, numbers
  // by their shortest text); no such heading raises the table's error.
  llvm::Value* HeadingIndex(const std::vector<std::string>& headings, const V& key,
                            ValueKind kind) {
    llvm::Value* index = b_.getInt64(uint64_t(-1));
    for (size_t i = headings.size(); i-- > 0;) {
      llvm::Value* match = nullptr;
      if (kind == ValueKind::kText) {
        match = b_.CreateFCmpOEQ(key.lo, Const(texts_.Find(headings[i])));
      } else {
        char* end = nullptr;
        double d = std::strtod(headings[i].c_str(), &end);
        bool numeric = !headings[i].empty() && *end == '\0' && FormatNumber(d) == headings[i];
        if (!numeric) continue;
        // Bit for bit: FormatNumber is the shortest round trip, so equal
        // texts are equal doubles (and -0 is not 0).
        uint64_t bits = 0;
        std::memcpy(&bits, &d, sizeof bits);
        match = b_.CreateICmpEQ(b_.CreateBitCast(key.lo, i64_), b_.getInt64(bits));
      }
      index = b_.CreateSelect(match, b_.getInt64(i), index);
    }
    return index;
  }

  V Lookup(const ir::Node& n) {
    const ir::Table& t = rules_.tables[size_t(n.slot)];
    V row = Gen(n.args[0]);
    V column = Gen(n.args[1]);
    ValueKind result_kind = t.integer ? ValueKind::kNumber : ValueKind::kText;
    Slot result = NewSlot();
    Put(result, UnknownOf(result_kind));
    auto* known = Block("lookup.known");
    auto* found = Block("lookup.found");
    auto* missing = Block("lookup.missing");
    auto* done = Block("lookup.done");
    b_.CreateCondBr(b_.CreateAnd(KnownOf(row, n.args[0].kind), KnownOf(column, n.args[1].kind)),
                    known, done);
    b_.SetInsertPoint(known);
    llvm::Value* r = HeadingIndex(t.rows, row, n.args[0].kind);
    llvm::Value* c = HeadingIndex(t.columns, column, n.args[1].kind);
    auto* none = b_.getInt64(uint64_t(-1));
    b_.CreateCondBr(b_.CreateOr(b_.CreateICmpEQ(r, none), b_.CreateICmpEQ(c, none)), missing,
                    found);
    b_.SetInsertPoint(missing);
    b_.CreateCall(rt_table_miss_, {frame_, Name(t.name)});
    b_.CreateBr(done);
    b_.SetInsertPoint(found);
    std::vector<llvm::Constant*> cells;
    for (const auto& cells_row : t.cells) {
      for (const auto& cell : cells_row) {
        double v = t.integer ? std::strtod(cell.c_str(), nullptr) : texts_.Find(cell);
        cells.push_back(llvm::ConstantFP::get(f64_, v));
      }
    }
    auto* array_ty = llvm::ArrayType::get(f64_, cells.size());
    auto* table =
        new llvm::GlobalVariable(m_, array_ty, true, llvm::GlobalValue::PrivateLinkage,
                                 llvm::ConstantArray::get(array_ty, cells), "kijun_table");
    llvm::Value* at = b_.CreateAdd(b_.CreateMul(r, b_.getInt64(uint64_t(t.columns.size()))), c);
    llvm::Value* cell = b_.CreateLoad(f64_, b_.CreateInBoundsGEP(f64_, table, at));
    Put(result, Exact(cell));
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
    return Get(result, result_kind);
  }

  // contains(item, code): the option's bit in the item's chosen set
  // (FrameStorage), unknown when the item is unanswered.
  V Contains(const ir::Node& n) {
    int slot = n.args[0].slot;
    const auto& options = rules_.items[size_t(slot)].schema.options;
    uint64_t bit = 0;
    for (size_t i = 0; i < options.size(); ++i) {
      if (double(options[i].code) == n.number) bit = uint64_t{1} << i;
    }
    llvm::Value* known = b_.CreateICmpEQ(LoadAt(i8_, kItemTruth, slot), Truth(1));
    llvm::Value* set = b_.CreateFPToUI(LoadAt(f64_, kItemLo, slot), i64_);
    llvm::Value* chosen = b_.CreateICmpNE(b_.CreateAnd(set, b_.getInt64(bit)), b_.getInt64(0));
    return {nullptr, nullptr,
            b_.CreateSelect(known, b_.CreateSelect(chosen, Truth(1), Truth(0)), Truth(2))};
  }

  V Index(const ir::Node& n) {
    int slot = n.args[0].slot;
    int size = rules_.items[size_t(slot)].schema.list_size;
    V index = Gen(n.args[1]);
    Slot result = NewSlot();
    Put(result, UnknownOf(n.kind));
    auto* in_range = Block("index.in_range");
    auto* out_of_range = Block("index.out_of_range");
    auto* known = Block("index.known");
    auto* done = Block("index.done");
    b_.CreateCondBr(Known(index), known, done);
    b_.SetInsertPoint(known);
    llvm::Value* i = b_.CreateFPToSI(index.lo, i64_);
    auto* ok = b_.CreateAnd(b_.CreateICmpSGE(i, b_.getInt64(1)),
                            b_.CreateICmpSLE(i, b_.getInt64(uint64_t(size))));
    b_.CreateCondBr(ok, in_range, out_of_range);
    b_.SetInsertPoint(out_of_range);
    b_.CreateCall(rt_error_, {frame_, b_.getInt32(uint32_t(RuntimeError::kIndexOutOfRange)),
                              index.lo, Const(0)});
    b_.CreateBr(done);
    b_.SetInsertPoint(in_range);
    Put(result, Element(slot, b_.CreateSub(i, b_.getInt64(1))));
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
    return Get(result, n.kind);
  }

  V ShortCircuit(const ir::Node& n) {
    bool is_and = n.op == Op::kAnd;
    Slot result = NewSlot();
    V a = Gen(n.args[0]);
    Put(result, a);
    auto* rhs = Block("logic.rhs");
    auto* done = Block("logic.done");
    // and: a false left side decides it; or: a true one does.
    b_.CreateCondBr(b_.CreateICmpEQ(a.t, Truth(is_and ? 0 : 1)), done, rhs);
    b_.SetInsertPoint(rhs);
    V b = Gen(n.args[1]);
    Put(result, {nullptr, nullptr, is_and ? TruthAnd(a.t, b.t) : TruthOr(a.t, b.t)});
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
    return Get(result, ValueKind::kTruth);
  }

  V If(const ir::Node& n) {
    Slot result = NewSlot();
    llvm::Value* c = Gen(n.args[0]).t;
    auto* then_block = Block("if.then");
    auto* else_block = Block("if.else");
    auto* unknown_block = Block("if.unknown");
    auto* done = Block("if.done");
    auto* sw = b_.CreateSwitch(c, unknown_block, 2);
    sw->addCase(llvm::cast<llvm::ConstantInt>(Truth(1)), then_block);
    sw->addCase(llvm::cast<llvm::ConstantInt>(Truth(0)), else_block);
    b_.SetInsertPoint(then_block);
    Put(result, Gen(n.args[1]));
    b_.CreateBr(done);
    b_.SetInsertPoint(else_block);
    Put(result, Gen(n.args[2]));
    b_.CreateBr(done);
    b_.SetInsertPoint(unknown_block);
    V a = Gen(n.args[1]);
    V b = Gen(n.args[2]);
    Put(result, Join(a, b, n.kind));
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
    return Get(result, n.kind);
  }

  V Cases(const ir::Node& n) {
    Slot joined = NewSlot();
    llvm::IRBuilder<> at(entry_, entry_->begin());
    llvm::Value* has = at.CreateAlloca(b_.getInt1Ty());
    b_.CreateStore(b_.getFalse(), has);
    auto* done = Block("cases.done");
    Slot result = NewSlot();
    for (size_t i = 0; i + 1 < n.args.size(); i += 2) {
      llvm::Value* c = Gen(n.args[i]).t;
      auto* arm = Block("cases.arm");
      auto* next = Block("cases.next");
      b_.CreateCondBr(b_.CreateICmpEQ(c, Truth(0)), next, arm);
      b_.SetInsertPoint(arm);
      V chosen = JoinSoFar(joined, has, Gen(n.args[i + 1]), n.kind);
      Put(joined, chosen);
      b_.CreateStore(b_.getTrue(), has);
      auto* decided = Block("cases.decided");
      b_.CreateCondBr(b_.CreateICmpEQ(c, Truth(1)), decided, next);
      b_.SetInsertPoint(decided);
      Put(result, chosen);
      b_.CreateBr(done);
      b_.SetInsertPoint(next);
    }
    Put(result, JoinSoFar(joined, has, Gen(n.args.back()), n.kind));
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
    return Get(result, n.kind);
  }

  // `v` joined with the values of the earlier arms that were possible
  // (`joined`, valid when `has` is set), as the interpreter's cases does.
  V JoinSoFar(const Slot& joined, llvm::Value* has, const V& v, ValueKind kind) {
    V merged = Join(Get(joined, kind), v, kind);
    llvm::Value* had = b_.CreateLoad(b_.getInt1Ty(), has);
    if (kind == ValueKind::kTruth) return {nullptr, nullptr, b_.CreateSelect(had, merged.t, v.t)};
    return {b_.CreateSelect(had, merged.lo, v.lo), b_.CreateSelect(had, merged.hi, v.hi), nullptr};
  }

  V Loop(const ir::Node& n) {
    Slot result = NewSlot();
    Put(result, UnknownOf(n.kind));
    V lo = Gen(n.args[0]);
    V hi = Gen(n.args[1]);
    auto* check = Block("loop.check");
    auto* too_large = Block("loop.too_large");
    auto* body_start = Block("loop.start");
    auto* cond = Block("loop.cond");
    auto* body = Block("loop.body");
    auto* exit = Block("loop.exit");
    auto* done = Block("loop.done");
    b_.CreateCondBr(b_.CreateAnd(Known(lo), Known(hi)), check, done);
    b_.SetInsertPoint(check);
    b_.CreateCondBr(b_.CreateFCmpOGT(b_.CreateFSub(hi.lo, lo.lo), Const(10000)), too_large,
                    body_start);
    b_.SetInsertPoint(too_large);
    b_.CreateCall(rt_error_,
                  {frame_, b_.getInt32(uint32_t(RuntimeError::kLoopTooLarge)), Const(0), Const(0)});
    b_.CreateBr(done);
    b_.SetInsertPoint(body_start);
    if (loop_vars_.size() <= size_t(n.slot)) loop_vars_.resize(size_t(n.slot) + 1, nullptr);
    if (loop_vars_[size_t(n.slot)] == nullptr) {
      llvm::IRBuilder<> at(entry_, entry_->begin());
      loop_vars_[size_t(n.slot)] = at.CreateAlloca(f64_);
    }
    llvm::Value* var = loop_vars_[size_t(n.slot)];
    Accumulator acc = NewAccumulator(n.loop_op, n.kind);
    b_.CreateStore(lo.lo, var);
    b_.CreateBr(cond);
    b_.SetInsertPoint(cond);
    b_.CreateCondBr(b_.CreateFCmpOLE(b_.CreateLoad(f64_, var), hi.lo), body, exit);
    b_.SetInsertPoint(body);
    Accumulate(acc, Gen(n.args[2]));
    b_.CreateStore(b_.CreateFAdd(b_.CreateLoad(f64_, var), Const(1)), var);
    b_.CreateBr(cond);
    b_.SetInsertPoint(exit);
    Put(result, Result(acc));
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
    return Get(result, n.kind);
  }

  const ir::RuleSet& rules_;
  TextTable texts_;
  llvm::LLVMContext& c_;
  llvm::Module& m_;
  llvm::IRBuilder<> b_;
  llvm::Type* f64_ = nullptr;
  llvm::Type* i8_ = nullptr;
  llvm::Type* i32_ = nullptr;
  llvm::Type* i64_ = nullptr;
  llvm::Type* ptr_ = nullptr;
  llvm::StructType* frame_ty_ = nullptr;
  llvm::StructType* value_ty_ = nullptr;
  llvm::FunctionCallee rt_mul_, rt_div_, rt_pow_, rt_error_, rt_round_, rt_age_, rt_months_,
      rt_year_month_, rt_add_months_date_, rt_external_, rt_table_miss_;
  llvm::StructType* plugin_value_ty_ = nullptr;
  std::map<std::string, llvm::Value*> names_;
  llvm::Function* fn_ = nullptr;
  llvm::Value* frame_ = nullptr;
  llvm::BasicBlock* entry_ = nullptr;
  llvm::Value* scratch_ = nullptr;
  llvm::Value* verdict_ = nullptr;
  std::vector<llvm::Value*> loop_vars_;
};

}  // namespace

std::unique_ptr<llvm::Module> GenerateModule(const ir::RuleSet& rules, llvm::LLVMContext& context,
                                             const std::string& prefix,
                                             std::vector<CompiledRoot>& roots) {
  auto module = std::make_unique<llvm::Module>(prefix, context);
  Generator generator(rules, context, *module);
  roots.clear();
  if (FullyCompilable(rules)) {
    std::string symbol = prefix + "_judge";
    generator.Judge(symbol, VerdictLayout::Of(rules));
    roots.push_back({RootKind::kJudge, -1, -1, symbol});
    return module;
  }
  auto add = [&](RootKind kind, int index, int level, const ir::Node& node) {
    if (!Compilable(rules, node)) return;
    std::string symbol = prefix + "_" + std::to_string(roots.size());
    generator.Function(symbol, node);
    roots.push_back({kind, index, level, symbol});
  };
  for (size_t c = 0; c < rules.calcs.size(); ++c)
    add(RootKind::kCalc, int(c), -1, rules.calcs[c].expr);
  for (size_t k = 0; k < rules.classifications.size(); ++k) {
    const auto& levels = rules.classifications[k].levels;
    for (size_t l = 0; l < levels.size(); ++l) {
      if (levels[l].condition) add(RootKind::kLevel, int(k), int(l), *levels[l].condition);
    }
  }
  for (size_t c = 0; c < rules.checks.size(); ++c)
    add(RootKind::kCheck, int(c), -1, rules.checks[c].condition);
  return module;
}

}  // namespace kijun::engine::jit
