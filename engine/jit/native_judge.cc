#include "engine/jit/native_judge.h"

#include <iostream>

#include "engine/jit/fault_guard.h"

namespace kijun::engine::jit {

void NativeJudge::Begin(const BoundForm& bound, const FormInput& form) {
  storage_.SetItems(rules_, bound, form, native_.texts());
  variant_ = form.variant;
  fused_ = Decide();
}

bool NativeJudge::Decide() {
  NativeJudgeFunction judge = native_.Judge();
  if (judge == nullptr || native_.faulted()) return false;
  verdict_.resize(size_t(native_.layout().size));
  storage_.errors().clear();
  if (!RunGuarded([&] { judge(&storage_.mutable_frame(), verdict_.data()); })) {
    Faulted();
    return false;
  }
  return true;
}

void NativeJudge::Faulted() {
  storage_.errors().clear();
  if (!native_.MarkFaulted()) return;
  std::cerr << "kijun: 「" << rules_.DiseaseKey()
            << "」のネイティブコードが異常終了したため、以後インタプリタで判定します / "
               "native code faulted, judging this disease on the interpreter from now on\n";
}

void NativeJudge::Raised(int root, std::vector<RaisedError>& errors) const {
  for (const auto& e : storage_.errors()) {
    if (e.root == root) errors.push_back({static_cast<RuntimeError>(e.code), e.a, e.b, e.ja, e.en});
  }
}

bool NativeJudge::Run(NativeFunction fn, NativeValue& out, std::vector<RaisedError>& errors) {
  if (fn == nullptr || native_.faulted()) return false;
  storage_.errors().clear();
  if (!RunGuarded([&] { fn(&storage_.frame(), &out); })) {
    Faulted();
    return false;
  }
  for (const auto& e : storage_.errors()) {
    errors.push_back({static_cast<RuntimeError>(e.code), e.a, e.b, e.ja, e.en});
  }
  return true;
}

bool NativeJudge::Calc(int slot, Value& out, std::vector<RaisedError>& errors) {
  NativeValue v;
  if (fused_) {
    const NativeFrame& frame = storage_.frame();
    v = {frame.calc_lo[slot], frame.calc_hi[slot], frame.calc_truth[slot]};
    Raised(slot, errors);
  } else if (!Run(native_.Calc(slot), v, errors)) {
    return false;
  }
  out = DecodeNativeValue(rules_.calcs[size_t(slot)].kind, v, native_.texts(), variant_);
  return true;
}

void NativeJudge::CalcDone(int slot, const Value& value) {
  if (!fused_) storage_.SetCalc(slot, value);
}

bool NativeJudge::Level(int classification, int level, Truth& out,
                        std::vector<RaisedError>& errors) {
  if (fused_) {
    const VerdictLayout& layout = native_.layout();
    out = static_cast<Truth>(verdict_[size_t(layout.level[size_t(classification)][size_t(level)])]);
    Raised(layout.level_root[size_t(classification)][size_t(level)], errors);
    return true;
  }
  NativeValue v;
  if (!Run(native_.Level(classification, level), v, errors)) return false;
  out = static_cast<Truth>(v.truth);
  return true;
}

void NativeJudge::ClassificationDone(int classification, const ClassificationResult& result) {
  if (!fused_) storage_.SetClassification(classification, result);
}

bool NativeJudge::Check(int index, Truth& out, std::vector<RaisedError>& errors) {
  if (fused_) {
    const VerdictLayout& layout = native_.layout();
    out = static_cast<Truth>(verdict_[size_t(layout.check[size_t(index)])]);
    Raised(layout.check_root[size_t(index)], errors);
    return true;
  }
  NativeValue v;
  if (!Run(native_.Check(index), v, errors)) return false;
  out = static_cast<Truth>(v.truth);
  return true;
}

bool NativeJudge::Clause(int classification, int level, int clause, Truth& out) {
  if (!fused_) return false;
  int start = native_.layout().clause_start[size_t(classification)][size_t(level)];
  out = static_cast<Truth>(verdict_[size_t(start) + size_t(clause)]);
  return true;
}

bool NativeJudge::AskedWhen(int slot, Truth& out, std::vector<RaisedError>& errors) {
  if (!fused_) return false;
  const VerdictLayout& layout = native_.layout();
  out = static_cast<Truth>(verdict_[size_t(layout.asked[size_t(slot)])]);
  Raised(layout.asked_root[size_t(slot)], errors);
  return true;
}

}  // namespace kijun::engine::jit
