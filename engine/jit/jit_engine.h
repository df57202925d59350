#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/ir.h"
#include "engine/jit/native_frame.h"
#include "engine/jit/text_table.h"
#include "engine/jit/verdict_layout.h"

namespace kijun::engine::jit {

// A disease version compiled to machine code: one function per rule that
// could be compiled (see Compilable), looked up by what it computes. Owns its
// code: destroying it removes the code from the JIT (its ResourceTracker).
class NativeRuleSet {
 public:
  ~NativeRuleSet();
  NativeRuleSet(const NativeRuleSet&) = delete;
  NativeRuleSet& operator=(const NativeRuleSet&) = delete;

  // The compiled function of calculation `slot`, or null when it runs on
  // the interpreter.
  NativeFunction Calc(int slot) const { return calcs_[size_t(slot)]; }
  NativeFunction Level(int classification, int level) const {
    return levels_[size_t(classification)][size_t(level)];
  }
  NativeFunction Check(int index) const { return checks_[size_t(index)]; }
  // The fused judge of the whole rule set (null when some rule runs on the
  // interpreter; then the functions above are used one by one), and where
  // it writes its verdict.
  NativeJudgeFunction Judge() const { return judge_; }
  const VerdictLayout& layout() const { return layout_; }
  // How the compiled code numbers texts.
  const TextTable& texts() const { return texts_; }
  // How many rules were compiled, of how many.
  int compiled() const { return compiled_; }
  int total() const { return total_; }
  // Whether this code faulted while running (engine/jit/fault_guard.h);
  // from then on the rule set runs on the interpreter.
  bool faulted() const { return faulted_.load(std::memory_order_relaxed); }
  // Marks it faulted; true only for the first caller, which reports it.
  bool MarkFaulted() const { return !faulted_.exchange(true); }

 private:
  friend class JitEngine;
  NativeRuleSet() = default;
  struct Tracker;
  std::unique_ptr<Tracker> tracker_;
  std::vector<NativeFunction> calcs_;
  std::vector<std::vector<NativeFunction>> levels_;
  std::vector<NativeFunction> checks_;
  NativeJudgeFunction judge_ = nullptr;
  VerdictLayout layout_;
  TextTable texts_;
  int compiled_ = 0;
  int total_ = 0;
  mutable std::atomic<bool> faulted_{false};
};

// The process's one LLVM ORC LLJIT. Thread-safe: Compile may be called from
// several threads; the compiled functions may run on any thread.
class JitEngine {
 public:
  // The shared engine, created on first use; null (with `error` set) when
  // LLVM cannot target this machine. `cache_directory`, when not empty on the
  // first call, keeps compiled objects on disk across runs, keyed by the CPU
  // and features they were compiled for too. Code is compiled for this
  // machine's CPU, or for the one KIJUN_JIT_CPU names (e.g. x86-64-v2).
  static JitEngine* Get(std::string* error = nullptr, const std::string& cache_directory = "");

  // Object cache counters (0 without a cache).
  int cache_hits() const;
  int cache_misses() const;
  int cache_rejected() const;

  // Compiles `rules`. On failure returns null and sets `error`; the rules can
  // still run on the interpreter.
  std::unique_ptr<NativeRuleSet> Compile(const ir::RuleSet& rules, std::string& error);

  // A failure injected for testing that one disease's failure leaves the
  // others alone: "compile:KEY" makes Compile of disease KEY (as
  // RuleSet::DiseaseKey() names it, e.g. 指定難病/6) fail, "crash:KEY" gives
  // it native functions that write through a null pointer, "overflow:KEY"
  // a fused judge that overflows the stack; "" injects nothing. The KIJUN_JIT_FAULT environment
  // variable sets it at start.
  static void InjectFault(const std::string& spec);

  ~JitEngine();

 private:
  JitEngine();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kijun::engine::jit
