#pragma once

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/ir.h"

namespace kijun::engine::jit {

// Which rule a compiled function computes.
enum class RootKind { kCalc, kLevel, kCheck, kJudge };

struct CompiledRoot {
  RootKind kind = RootKind::kCalc;
  int index = -1;  // calc slot, check index, or classification index
  int level = -1;  // for kLevel
  std::string symbol;
};

// When every rule of `rules` can be compiled (FullyCompilable), generates
// one fused judge, `void f(NativeFrame*, uint8_t* verdict)` (a kJudge root;
// see NativeJudgeFunction). Otherwise generates one function per
// calculation, level condition and check that can be compiled, each
// `void f(const NativeFrame*, NativeValue*)`; the rest runs on the
// interpreter. Either way the code follows the interpreter's semantics
// exactly (same operations in the same order, the interval arithmetic
// shared through the runtime helpers). Not compiled: reading a text item,
// list values other than lists of numbers or truths, a repeated group's
// columns, and multiple choices with more than 53 options.
std::unique_ptr<llvm::Module> GenerateModule(const ir::RuleSet& rules, llvm::LLVMContext& context,
                                             const std::string& prefix,
                                             std::vector<CompiledRoot>& roots);

// Whether the node (and everything under it) can be compiled.
bool Compilable(const ir::RuleSet& rules, const ir::Node& node);

// Whether every calculation, level condition, check and asked-when rule of
// `rules` can be compiled, so one fused judge can run the whole judgment.
bool FullyCompilable(const ir::RuleSet& rules);

}  // namespace kijun::engine::jit
