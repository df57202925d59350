#pragma once

#include "engine/compiled_rules.h"
#include "engine/jit/frame_storage.h"
#include "engine/jit/jit_engine.h"

namespace kijun::engine::jit {

// Runs the compiled rules of one rule set for the interpreter's Judge (see
// CompiledRules). Holds the per-form frame, so one instance per thread.
class NativeJudge : public CompiledRules {
 public:
  NativeJudge(const ir::RuleSet& rules, const NativeRuleSet& native)
      : rules_(rules), native_(native) {}

  void Begin(const BoundForm& bound, const FormInput& form) override;
  bool Calc(int slot, Value& out, std::vector<RaisedError>& errors) override;
  void CalcDone(int slot, const Value& value) override;
  bool Level(int classification, int level, Truth& out, std::vector<RaisedError>& errors) override;
  void ClassificationDone(int classification, const ClassificationResult& result) override;
  bool Check(int index, Truth& out, std::vector<RaisedError>& errors) override;

 private:
  bool Run(NativeFunction fn, NativeValue& out, std::vector<RaisedError>& errors);

  const ir::RuleSet& rules_;
  const NativeRuleSet& native_;
  FrameStorage storage_;
};

}  // namespace kijun::engine::jit
