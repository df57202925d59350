#include "engine/jit/native_judge.h"

namespace kijun::engine::jit {

void NativeJudge::Begin(const BoundForm& bound, const FormInput& form) {
  storage_.SetItems(rules_, bound, form);
}

bool NativeJudge::Run(NativeFunction fn, NativeValue& out, std::vector<RaisedError>& errors) {
  if (fn == nullptr) return false;
  storage_.errors().clear();
  fn(&storage_.frame(), &out);
  for (const auto& e : storage_.errors()) {
    errors.push_back({static_cast<RuntimeError>(e.code), e.a, e.b, e.ja, e.en});
  }
  return true;
}

bool NativeJudge::Calc(int slot, Value& out, std::vector<RaisedError>& errors) {
  NativeValue v;
  if (!Run(native_.Calc(slot), v, errors)) return false;
  if (rules_.calcs[size_t(slot)].kind == ir::ValueKind::kTruth) {
    out = Value::OfTruth(static_cast<Truth>(v.truth));
  } else {
    out = Value::OfNumber({v.lo, v.hi});
  }
  return true;
}

void NativeJudge::CalcDone(int slot, const Value& value) { storage_.SetCalc(slot, value); }

bool NativeJudge::Level(int classification, int level, Truth& out,
                        std::vector<RaisedError>& errors) {
  NativeValue v;
  if (!Run(native_.Level(classification, level), v, errors)) return false;
  out = static_cast<Truth>(v.truth);
  return true;
}

void NativeJudge::ClassificationDone(int classification, const ClassificationResult& result) {
  storage_.SetClassification(classification, result);
}

bool NativeJudge::Check(int index, Truth& out, std::vector<RaisedError>& errors) {
  NativeValue v;
  if (!Run(native_.Check(index), v, errors)) return false;
  out = static_cast<Truth>(v.truth);
  return true;
}

}  // namespace kijun::engine::jit
