// Google Benchmark: evaluation of bound forms by the interpreter, by the JIT
// path, and by hand-written C++ (the physical limit); JIT compile time per
// rule file. Reproduce with: build/bench/judge_bench (see bench/README.md).

#include <benchmark/benchmark.h>

#include <filesystem>
#include <iostream>

#include "bench/parkinson_handwritten.h"
#include "dsl/pass.h"
#include "engine/batch/batch_envelope.h"
#include "engine/batch/batch_judge.h"
#include "engine/interpreter.h"
#include "engine/jit/frame_storage.h"
#include "engine/jit/jit_engine.h"
#include "engine/jit/native_judge.h"
#include "engine/judgment_writer.h"
#include "engine/lower_to_ir.h"
#include "engine/random_forms.h"

namespace {

using namespace kijun;

struct Workload {
  engine::ir::RuleSet rules;
  std::vector<engine::BoundForm> forms;
  std::vector<engine::FormInput> inputs;
  std::unique_ptr<engine::jit::NativeRuleSet> native;
  std::vector<std::string> lines;  // the same forms as JSONL lines
  std::vector<nlohmann::json> items;
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
      nlohmann::json items = random.Next();
      w.forms.push_back(engine::BindForm(w.rules, items));
      nlohmann::json line = {{"id", "F" + std::to_string(i)},
                             {"disease", w.rules.DiseaseKey()},
                             {"variant", input.variant},
                             {"items", items}};
      w.lines.push_back(line.dump());
      w.items.push_back(std::move(items));
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

// The fused native judge alone on frames already laid out (the JIT's
// bound form): every calculation, classification decision, level and
// clause truth (the explanation), asked-when rule and check of the
// Parkinson rules, written into the frame and the verdict buffer. This is
// the JIT's counterpart of BM_EvaluateHandwritten.
void BM_JitFusedJudge(benchmark::State& state) {
  Workload& w = Parkinson();
  auto judge = w.native->Judge();
  if (judge == nullptr) {
    state.SkipWithError("the Parkinson rules have no fused judge");
    return;
  }
  std::vector<std::unique_ptr<engine::jit::FrameStorage>> frames;
  for (int i = 0; i < 1024; ++i) {
    frames.push_back(std::make_unique<engine::jit::FrameStorage>());
    frames.back()->SetItems(w.rules, w.forms[size_t(i)], w.inputs[size_t(i)], w.native->texts());
  }
  std::vector<uint8_t> verdict(size_t(w.native->layout().size));
  size_t i = 0;
  for (auto _ : state) {
    judge(&frames[i % 1024]->mutable_frame(), verdict.data());
    benchmark::DoNotOptimize(verdict.data());
    ++i;
  }
  state.SetItemsProcessed(int64_t(i));
  state.counters["verdict_bytes"] = double(verdict.size());
}
BENCHMARK(BM_JitFusedJudge);

// The same from the interpreter's bound form: laying the answers out in the
// frame, then the fused judge.
void BM_JitLayoutAndJudge(benchmark::State& state) {
  Workload& w = Parkinson();
  engine::jit::NativeJudge judge(w.rules, *w.native);
  size_t i = 0;
  for (auto _ : state) {
    judge.Begin(w.forms[i % 1024], w.inputs[i % 1024]);
    benchmark::DoNotOptimize(judge.verdict().data());
    ++i;
  }
  state.SetItemsProcessed(int64_t(i));
}
BENCHMARK(BM_JitLayoutAndJudge);

// The stages of `kijun judge` besides evaluation, one form at a time:
// parsing a JSONL line into a JSON document, binding its answers, and
// writing a result line.
void BM_StageParseLine(benchmark::State& state) {
  Workload& w = Parkinson();
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& line = w.lines[i % 1024];
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    benchmark::DoNotOptimize(j);
    bytes += line.size();
    ++i;
  }
  state.SetItemsProcessed(int64_t(i));
  state.SetBytesProcessed(int64_t(bytes));
}
BENCHMARK(BM_StageParseLine);

void BM_StageBind(benchmark::State& state) {
  Workload& w = Parkinson();
  size_t i = 0;
  for (auto _ : state) {
    engine::BoundForm bound = engine::BindForm(w.rules, w.items[i % 1024]);
    benchmark::DoNotOptimize(bound);
    ++i;
  }
  state.SetItemsProcessed(int64_t(i));
}
BENCHMARK(BM_StageBind);

void BM_StageWriteResult(benchmark::State& state) {
  Workload& w = Parkinson();
  engine::jit::NativeJudge judge(w.rules, *w.native);
  std::vector<engine::Judgment> judgments;
  for (size_t k = 0; k < 1024; ++k)
    judgments.push_back(engine::Evaluate(w.rules, w.inputs[k], w.forms[k], &judge));
  std::string out;
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    out.clear();
    engine::WriteJudgmentJson(w.rules, judgments[i % 1024], out);
    benchmark::DoNotOptimize(out.data());
    bytes += out.size();
    ++i;
  }
  state.SetItemsProcessed(int64_t(i));
  state.SetBytesProcessed(int64_t(bytes));
}
BENCHMARK(BM_StageWriteResult);

// The batch path of `kijun judge --compact` (engine/batch/) on one JSONL
// line of a form as a clinic sends it (every item answered, 1 in 20 不明):
// simdjson parse, envelope, binding into the frame, the fused judge and the
// compact result. Lines the batch path leaves to the reference path (about
// one in ten, undecided for a 不明) are skipped here and counted.
void BM_BatchLine(benchmark::State& state) {
  Workload& w = Parkinson();
  engine::RandomForms random(w.rules, 7);
  std::vector<std::string> lines;
  for (int i = 0; i < 1024; ++i) {
    nlohmann::ordered_json line = {{"id", "F" + std::to_string(i)},
                                   {"disease", w.rules.DiseaseKey()},
                                   {"variant", random.Variant()},
                                   {"date", "2024-06-01"},
                                   {"items", random.NextValid()}};
    lines.push_back(line.dump(-1, ' ', false));
  }
  engine::batch::BatchJudge judge(w.rules, *w.native);
  simdjson::dom::parser parser;
  engine::FormInput form;
  std::string out;
  size_t i = 0, taken = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& text = lines[i % 1024];
    ++i;
    simdjson::dom::element items;
    bool has_items = false;
    if (!engine::batch::ReadBatchLine(parser, text, form, items, has_items)) continue;
    out.clear();
    if (judge.Judge(form, has_items ? &items : nullptr, out)) ++taken;
    bytes += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(int64_t(i));
  state.counters["taken"] = double(taken) / double(i);
  state.counters["result_bytes"] = double(bytes) / double(std::max<size_t>(taken, 1));
}
BENCHMARK(BM_BatchLine);

// Every rule file in diseases/: 256 random bound forms each, judged by the
// interpreter (a Judgment) and by the fused judge (a verdict); the time per
// form is the mean over all files.
struct Library {
  std::vector<std::unique_ptr<Workload>> files;
};

Library& AllDiseases() {
  static Library library = [] {
    Library l;
    std::string error;
    auto* jit = engine::jit::JitEngine::Get(&error);
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(KIJUN_SOURCE_DIR "/diseases")) {
      if (entry.path().extension() != ".kijun") continue;
      auto w = std::make_unique<Workload>();
      w->rules = Load(entry.path().string());
      engine::RandomForms random(w->rules, 7);
      for (int i = 0; i < 256; ++i) {
        engine::FormInput input;
        input.variant = random.Variant();
        input.date = 19900 + i % 400;
        w->inputs.push_back(input);
        w->forms.push_back(engine::BindForm(w->rules, random.Next()));
      }
      w->native = jit->Compile(w->rules, error);
      l.files.push_back(std::move(w));
    }
    return l;
  }();
  return library;
}

void BM_AllDiseasesInterpreter(benchmark::State& state) {
  Library& l = AllDiseases();
  int64_t forms = 0;
  for (auto _ : state) {
    for (const auto& w : l.files) {
      for (size_t i = 0; i < w->forms.size(); ++i) {
        engine::Judgment j = engine::Evaluate(w->rules, w->inputs[i], w->forms[i]);
        benchmark::DoNotOptimize(j);
      }
      forms += int64_t(w->forms.size());
    }
  }
  state.SetItemsProcessed(forms);
  state.counters["files"] = double(l.files.size());
}
BENCHMARK(BM_AllDiseasesInterpreter)->Unit(benchmark::kMillisecond);

void BM_AllDiseasesJit(benchmark::State& state) {
  Library& l = AllDiseases();
  struct Prepared {
    std::vector<std::unique_ptr<engine::jit::FrameStorage>> frames;
    std::vector<uint8_t> verdict;
    engine::jit::NativeJudgeFunction judge = nullptr;
  };
  std::vector<Prepared> prepared;
  int fused = 0;
  for (const auto& w : l.files) {
    Prepared& p = prepared.emplace_back();
    p.judge = w->native->Judge();
    if (p.judge == nullptr) continue;  // judged below through NativeJudge
    ++fused;
    p.verdict.resize(size_t(w->native->layout().size));
    for (size_t i = 0; i < w->forms.size(); ++i) {
      p.frames.push_back(std::make_unique<engine::jit::FrameStorage>());
      p.frames.back()->SetItems(w->rules, w->forms[i], w->inputs[i], w->native->texts());
    }
  }
  int64_t forms = 0;
  for (auto _ : state) {
    for (size_t f = 0; f < l.files.size(); ++f) {
      const Workload& w = *l.files[f];
      Prepared& p = prepared[f];
      if (p.judge != nullptr) {
        for (auto& frame : p.frames) {
          p.judge(&frame->mutable_frame(), p.verdict.data());
          benchmark::DoNotOptimize(p.verdict.data());
        }
      } else {
        engine::jit::NativeJudge judge(w.rules, *w.native);
        for (size_t i = 0; i < w.forms.size(); ++i) {
          engine::Judgment j = engine::Evaluate(w.rules, w.inputs[i], w.forms[i], &judge);
          benchmark::DoNotOptimize(j);
        }
      }
      forms += int64_t(w.forms.size());
    }
  }
  state.SetItemsProcessed(forms);
  state.counters["files"] = double(l.files.size());
  state.counters["fused"] = double(fused);
}
BENCHMARK(BM_AllDiseasesJit)->Unit(benchmark::kMillisecond);

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
