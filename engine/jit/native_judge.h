#pragma once

#include <string>
#include <vector>

#include "engine/compiled_rules.h"
#include "engine/jit/frame_storage.h"
#include "engine/jit/jit_engine.h"

namespace kijun::engine::jit {

// Runs the compiled rules of one rule set for the interpreter's Judge (see
// CompiledRules). With a fused judge (NativeRuleSet::Judge), Begin runs the
// whole judgment natively in one call and the interpreter only words the
// result (names, labels, messages, the explanation's values) from the
// verdict; otherwise each compiled rule runs when the interpreter asks for
// it. Holds the per-form frame, so one instance per thread.
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
  bool Clause(int classification, int level, int clause, Truth& out) override;
  bool AskedWhen(int slot, Truth& out, std::vector<RaisedError>& errors) override;

  // The fused judge alone on a frame already laid out (Begin without the
  // layout), for measuring evaluation: false when there is no fused judge.
  bool Decide();
  const FrameStorage& storage() const { return storage_; }
  const std::vector<uint8_t>& verdict() const { return verdict_; }

 private:
  // Runs native code under the fault guard (engine/jit/fault_guard.h);
  // after a fault the rule set is marked and every hook says "not compiled".
  bool Run(NativeFunction fn, NativeValue& out, std::vector<RaisedError>& errors);
  void Faulted();
  // The errors rule `root` raised during the fused judgment, into `errors`.
  void Raised(int root, std::vector<RaisedError>& errors) const;

  const ir::RuleSet& rules_;
  const NativeRuleSet& native_;
  FrameStorage storage_;
  std::vector<uint8_t> verdict_;
  bool fused_ = false;
  std::string variant_;  // the form's, which text id TextTable::other() stands for
};

}  // namespace kijun::engine::jit
