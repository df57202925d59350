// A failure in one disease's native code never takes down the others: a
// disease whose compilation fails, or whose native code faults while
// judging, is judged on the interpreter with the same results, and the other
// diseases stay native. A fault outside native code still ends the process.

#include <gtest/gtest.h>

#include <csignal>
#include <thread>
#include <vector>

#include "engine/batch/batch_envelope.h"
#include "engine/batch/batch_judge.h"
#include "engine/interpreter.h"
#include "engine/jit/fault_guard.h"
#include "engine/jit/jit_engine.h"
#include "engine/jit/native_judge.h"
#include "engine/judgment_writer.h"
#include "engine/random_forms.h"
#include "plugins/rule_library.h"
#include "tests/test_support.h"

namespace kijun::engine::jit {
namespace {

const std::string kParkinson = KIJUN_SOURCE_DIR "/diseases/nanbyo/006_parkinson.kijun";
const std::string kAls = KIJUN_SOURCE_DIR "/diseases/nanbyo/002_als.kijun";

ir::RuleSet Load(const std::string& path) {
  std::string error;
  auto rules = testing_support::LoadRules(path, error);
  EXPECT_TRUE(rules) << error;
  return rules ? std::move(*rules) : ir::RuleSet();
}

std::unique_ptr<NativeRuleSet> Compile(const ir::RuleSet& rules, std::string& error) {
  JitEngine* jit = JitEngine::Get(&error);
  return jit == nullptr ? nullptr : jit->Compile(rules, error);
}

// Judges 200 random forms with `judge` and on the interpreter alone; the
// JSON lines must be the same.
void ExpectSameAsInterpreter(const ir::RuleSet& rules, NativeJudge& judge) {
  RandomForms random(rules, 5);
  for (int n = 0; n < 200; ++n) {
    FormInput form;
    form.variant = random.Variant();
    form.date = 19800 + n;
    nlohmann::json items = random.Next();
    std::string native, interpreted;
    WriteJudgmentJson(rules, Judge(rules, form, items, &judge), native);
    WriteJudgmentJson(rules, Judge(rules, form, items), interpreted);
    ASSERT_EQ(native, interpreted);
  }
}

class FaultIsolation : public testing::Test {
 protected:
  void TearDown() override { JitEngine::InjectFault(""); }
};

TEST_F(FaultIsolation, NativeCodeThatFaultsFallsBackToTheInterpreter) {
  ir::RuleSet parkinson = Load(kParkinson);
  ir::RuleSet als = Load(kAls);
  JitEngine::InjectFault("crash:" + parkinson.DiseaseKey());
  std::string error;
  auto faulty = Compile(parkinson, error);
  ASSERT_NE(faulty, nullptr) << error;
  auto healthy = Compile(als, error);
  ASSERT_NE(healthy, nullptr) << error;
  ASSERT_NE(faulty->Judge(), nullptr);

  NativeJudge faulty_judge(parkinson, *faulty);
  EXPECT_FALSE(faulty->faulted());
  ExpectSameAsInterpreter(parkinson, faulty_judge);
  EXPECT_TRUE(faulty->faulted()) << "the fault must have been caught and recorded";

  NativeJudge healthy_judge(als, *healthy);
  ExpectSameAsInterpreter(als, healthy_judge);
  EXPECT_FALSE(healthy->faulted());
  EXPECT_TRUE(healthy_judge.Decide()) << "the other disease still runs its native judge";
}

TEST_F(FaultIsolation, TheBatchPathLeavesAFaultingDiseaseToTheReferencePath) {
  ir::RuleSet parkinson = Load(kParkinson);
  JitEngine::InjectFault("crash:" + parkinson.DiseaseKey());
  std::string error;
  auto faulty = Compile(parkinson, error);
  ASSERT_NE(faulty, nullptr) << error;
  batch::BatchJudge batch(parkinson, *faulty);
  simdjson::dom::parser parser;
  std::string text =
      R"({"disease":"指定難病/6","items":{"A-1":"該当","B-1":"該当","C-2":"なし","治療効果":"改善あり"}})";
  simdjson::dom::element line, items;
  ASSERT_EQ(parser.parse(text).get(line), simdjson::SUCCESS);
  FormInput form;
  bool has_items = false;
  ASSERT_TRUE(batch::ReadBatchEnvelope(line, form, items, has_items));
  std::string out;
  EXPECT_FALSE(batch.Judge(form, &items, out));
  EXPECT_TRUE(out.empty());
}

TEST_F(FaultIsolation, ACompileFailureLeavesOnlyThatDiseaseOnTheInterpreter) {
  ir::RuleSet parkinson = Load(kParkinson);
  JitEngine::InjectFault("compile:" + parkinson.DiseaseKey());
  dsl::SourceManager sources;
  dsl::Diagnostics diagnostics;
  plugins::RuleLibrary library;
  library.Load(KIJUN_SOURCE_DIR "/diseases", sources, diagnostics, plugins::Engine::kJit);
  ASSERT_FALSE(diagnostics.HasErrors());
  const ir::RuleSet* failed = library.Find(parkinson.DiseaseKey(), std::nullopt);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(library.Native(failed), nullptr);
  const ir::RuleSet* als = library.Find(Load(kAls).DiseaseKey(), std::nullopt);
  ASSERT_NE(als, nullptr);
  EXPECT_NE(library.Native(als), nullptr);
  // The failed disease is judged all the same, by the interpreter.
  FormInput form;
  form.variant = "新規";
  nlohmann::json items = {
      {"A-1", "該当"}, {"B-1", "該当"}, {"C-2", "なし"}, {"治療効果", "改善あり"}};
  std::string through_library, interpreted;
  WriteJudgmentJson(*failed, Judge(*failed, form, items, library.Compiled(failed)),
                    through_library);
  WriteJudgmentJson(*failed, Judge(*failed, form, items), interpreted);
  EXPECT_EQ(through_library, interpreted);
}

TEST(FaultGuardDeathTest, AFaultOutsideNativeCodeStillEndsTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_TRUE(RunGuarded([] {}));  // the handlers are installed
  EXPECT_DEATH(
      {
        volatile int* nowhere = nullptr;
        *nowhere = 1;
      },
      "");
  EXPECT_DEATH(raise(SIGFPE), "");
}

TEST(FaultGuard, CatchesAFaultInsideAndKeepsWorking) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(RunGuarded([] {
      volatile int* nowhere = nullptr;
      *nowhere = 1;
    }));
  }
  int ran = 0;
  EXPECT_TRUE(RunGuarded([&] { ++ran; }));
  EXPECT_EQ(ran, 1);
}

// Native code that overflows the stack is caught too (the handler runs on
// the thread's alternate signal stack), on the main thread and on another
// thread, which gets its own; the disease falls back to the interpreter.
TEST_F(FaultIsolation, AStackOverflowInNativeCodeIsCaught) {
  ir::RuleSet parkinson = Load(kParkinson);
  JitEngine::InjectFault("overflow:" + parkinson.DiseaseKey());
  std::string error;
  auto faulty = Compile(parkinson, error);
  ASSERT_NE(faulty, nullptr) << error;
  NativeJudge judge(parkinson, *faulty);
  ExpectSameAsInterpreter(parkinson, judge);
  EXPECT_TRUE(faulty->faulted());

  auto other = Compile(parkinson, error);
  ASSERT_NE(other, nullptr) << error;
  bool caught = false;
  std::thread worker([&] {
    std::vector<uint8_t> verdict(size_t(other->layout().size));
    NativeFrame frame{};
    NativeJudgeFunction fn = other->Judge();
    caught = !RunGuarded([&] { fn(&frame, verdict.data()); });
    // The thread goes on running guarded code after the overflow.
    caught = caught && RunGuarded([] {});
  });
  worker.join();
  EXPECT_TRUE(caught);
}

}  // namespace
}  // namespace kijun::engine::jit
