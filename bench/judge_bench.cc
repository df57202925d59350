// Google Benchmark: evaluation of bound forms by the interpreter, by the JIT
// path, and by hand-written C++ (the physical limit); JIT compile time per
// rule file. Reproduce with: build/bench/judge_bench (see bench/README.md).

#include <benchmark/benchmark.h>

#include <filesystem>
#include <iostream>

#include "bench/parkinson_handwritten.h"
#include "dsl/pass.h"
#include "engine/interpreter.h"
#include "engine/jit/frame_storage.h"
#include "engine/jit/jit_engine.h"
#include "engine/jit/native_judge.h"
#include "engine/lower_to_ir.h"
#include "engine/random_forms.h"

namespace {

using namespace kijun;

struct Workload {
  engine::ir::RuleSet rules;
  std::vector<engine::BoundForm> forms;
  std::vector<engine::FormInput> inputs;
  std::unique_ptr<engine::jit::NativeRuleSet> native;
};

engine::ir::RuleSet Load(const std::string& path) {
  dsl::SourceManager sources;
  dsl::Diagnostics diagnostics;
  auto program = dsl::LoadProgram(path, sources, diagnostics);
  if (!dsl::RunFrontEnd(*program, diagnostics)) {
    std::cerr << "cannot compile " << path << '\n';
    std::exit(1);
  }
  return engine::LowerToIr(*program);
}

Workload& Parkinson() {
  static Workload w = [] {
    Workload w;
    w.rules = Load(KIJUN_SOURCE_DIR "/diseases/nanbyo/006_parkinson.kijun");
    engine::RandomForms random(w.rules, 42);
    for (int i = 0; i < 1024; ++i) {
      engine::FormInput input;
      input.variant = random.Variant();
      input.date = 19900 + i % 400;
      w.inputs.push_back(input);
      w.forms.push_back(engine::BindForm(w.rules, random.Next()));
    }
    std::string error;
    w.native = engine::jit::JitEngine::Get(&error)->Compile(w.rules, error);
    return w;
  }();
  return w;
}

void BM_EvaluateInterpreter(benchmark::State& state) {
  Workload& w = Parkinson();
  size_t i = 0;
  for (auto _ : state) {
    engine::Judgment j = engine::Evaluate(w.rules, w.inputs[i % 1024], w.forms[i % 1024]);
    benchmark::DoNotOptimize(j);
    ++i;
  }
  state.SetItemsProcessed(int64_t(i));
}
BENCHMARK(BM_EvaluateInterpreter);

void BM_EvaluateJit(benchmark::State& state) {
  Workload& w = Parkinson();
  engine::jit::NativeJudge judge(w.rules, *w.native);
  size_t i = 0;
  for (auto _ : state) {
    engine::Judgment j = engine::Evaluate(w.rules, w.inputs[i % 1024], w.forms[i % 1024], &judge);
    benchmark::DoNotOptimize(j);
    ++i;
  }
  state.SetItemsProcessed(int64_t(i));
}
BENCHMARK(BM_EvaluateJit);

void BM_EvaluateHandwritten(benchmark::State& state) {
  Workload& w = Parkinson();
  bench::ParkinsonRules rules(w.rules);
  size_t i = 0;
  for (auto _ : state) {
    const auto& input = w.inputs[i % 1024];
    auto d = rules.Judge(w.forms[i % 1024], input.variant == "更新", double(*input.date), true);
    benchmark::DoNotOptimize(d);
    ++i;
  }
  state.SetItemsProcessed(int64_t(i));
}
BENCHMARK(BM_EvaluateHandwritten);

// The compiled rules alone: every calculation, level condition and check of
// the Parkinson rules on a prepared frame (what the code generator's
// optimisation level affects).
void BM_NativeRulesOnly(benchmark::State& state) {
  Workload& w = Parkinson();
  std::vector<std::unique_ptr<engine::jit::FrameStorage>> frames;
  for (int i = 0; i < 1024; ++i) {
    frames.push_back(std::make_unique<engine::jit::FrameStorage>());
    frames.back()->SetItems(w.rules, w.forms[size_t(i)], w.inputs[size_t(i)], w.native->texts());
  }
  std::vector<engine::jit::NativeFunction> functions;
  for (size_t c = 0; c < w.rules.calcs.size(); ++c) {
    if (auto fn = w.native->Calc(int(c))) functions.push_back(fn);
  }
  for (size_t k = 0; k < w.rules.classifications.size(); ++k) {
    for (size_t l = 0; l < w.rules.classifications[k].levels.size(); ++l) {
      if (auto fn = w.native->Level(int(k), int(l))) functions.push_back(fn);
    }
  }
  for (size_t c = 0; c < w.rules.checks.size(); ++c) {
    if (auto fn = w.native->Check(int(c))) functions.push_back(fn);
  }
  size_t i = 0;
  engine::jit::NativeValue out;
  for (auto _ : state) {
    const auto& frame = frames[i % 1024]->frame();
    for (auto fn : functions) fn(&frame, &out);
    benchmark::DoNotOptimize(out);
    ++i;
  }
  state.SetItemsProcessed(int64_t(i));
  state.counters["functions"] = double(functions.size());
}
BENCHMARK(BM_NativeRulesOnly);

void BM_CompileAllDiseases(benchmark::State& state) {
  std::vector<engine::ir::RuleSet> all;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(KIJUN_SOURCE_DIR "/diseases")) {
    if (entry.path().extension() == ".kijun") all.push_back(Load(entry.path().string()));
  }
  std::string error;
  auto* jit = engine::jit::JitEngine::Get(&error);
  for (auto _ : state) {
    for (const auto& rules : all) {
      auto native = jit->Compile(rules, error);
      benchmark::DoNotOptimize(native);
    }
  }
  state.counters["files"] = double(all.size());
  state.counters["ms_per_file"] =
      benchmark::Counter(double(all.size()) * 1e-3, benchmark::Counter::kIsIterationInvariantRate |
                                                        benchmark::Counter::kInvert);
}
BENCHMARK(BM_CompileAllDiseases)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
