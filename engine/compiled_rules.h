#pragma once

#include <string>
#include <vector>

#include "engine/form_binding.h"
#include "engine/interval_math.h"
#include "engine/ir.h"
#include "engine/judgment.h"

namespace kijun::engine {

// A run-time error raised by compiled code, with its operands (or, for a
// plugin function's error, its message).
struct RaisedError {
  RuntimeError error = RuntimeError::kNone;
  double a = 0;
  double b = 0;
  std::string ja;
  std::string en;
};

// Native code for some of a rule set's rules (implemented by the JIT in
// engine/jit). The interpreter asks it first for each calculation, level
// condition and check, and evaluates the rule itself when it answers false;
// it tells it every value it decides, in order, so compiled rules read the
// same state. One instance per thread.
class CompiledRules {
 public:
  virtual ~CompiledRules() = default;
  virtual void Begin(const BoundForm& bound, const FormInput& form) = 0;
  virtual bool Calc(int slot, Value& out, std::vector<RaisedError>& errors) = 0;
  virtual void CalcDone(int slot, const Value& value) = 0;
  virtual bool Level(int classification, int level, Truth& out,
                     std::vector<RaisedError>& errors) = 0;
  virtual void ClassificationDone(int classification, const ClassificationResult& result) = 0;
  virtual bool Check(int index, Truth& out, std::vector<RaisedError>& errors) = 0;
  // Clause `clause` of level `level`'s condition, as the explanation lists
  // it (its result only; its errors came with Level). False: evaluate it.
  virtual bool Clause(int /*classification*/, int /*level*/, int /*clause*/, Truth& /*out*/) {
    return false;
  }
  // Item `slot`'s asked-when rule. False: evaluate it.
  virtual bool AskedWhen(int /*slot*/, Truth& /*out*/, std::vector<RaisedError>& /*errors*/) {
    return false;
  }
};

}  // namespace kijun::engine
