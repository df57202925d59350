#include "engine/jit/jit_engine.h"

#include <llvm/Config/llvm-config.h>
#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/Verifier.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Transforms/InstCombine/InstCombine.h>
#include <llvm/Transforms/Scalar/EarlyCSE.h>
#include <llvm/Transforms/Scalar/SROA.h>
#include <llvm/Transforms/Scalar/SimplifyCFG.h>

#include <atomic>
#include <cstdlib>

#include "dsl/sha256.h"
#include "engine/jit/codegen.h"
#include "engine/jit/object_cache.h"
#include "engine/jit/runtime.h"

namespace kijun::engine::jit {

namespace {

std::string ErrorText(llvm::Error error) {
  std::string text;
  llvm::handleAllErrors(std::move(error), [&](const llvm::ErrorInfoBase& info) {
    if (!text.empty()) text += "; ";
    text += info.message();
  });
  return text;
}

// Machine-code optimisation level: KIJUN_JIT_OPT=0..3, default 1 (Less):
// it runs the rules as fast as 2 and 3 and compiles 7% faster; 0 compiles 5x
// faster but runs them 2x slower (bench/README.md, "Optimisation level").
llvm::CodeGenOptLevel CodeGenLevel() {
  const char* level = std::getenv("KIJUN_JIT_OPT");
  switch (level != nullptr ? level[0] : '1') {
    case '0':
      return llvm::CodeGenOptLevel::None;
    case '2':
      return llvm::CodeGenOptLevel::Default;
    case '3':
      return llvm::CodeGenOptLevel::Aggressive;
    default:
      return llvm::CodeGenOptLevel::Less;
  }
}

// Instruction selection: fast (KIJUN_JIT_FASTISEL=1, default) or the
// SelectionDAG (0). With the IR already cleaned up by the passes below, fast
// selection gives code about as quick and compiles in half the time
// (bench/README.md, "Optimisation level").
bool FastInstructionSelection() {
  const char* fast = std::getenv("KIJUN_JIT_FASTISEL");
  return fast == nullptr || fast[0] != '0';
}

// IR optimisation before code generation: KIJUN_JIT_IR=0 (none), 1 (LLVM's
// O1 module pipeline), 2 (default: SROA, early CSE, instcombine and CFG
// simplification — promotes the stack slots the generator uses to
// registers and folds the three-valued selects, at a third of O1's cost).
// No fast-math flags are set, so IEEE results are unchanged (the
// differential tests compare bits).
int IrLevel() {
  const char* level = std::getenv("KIJUN_JIT_IR");
  if (level == nullptr) return 2;
  return level[0] == '0' ? 0 : level[0] == '1' ? 1 : 2;
}

void OptimizeIr(llvm::Module& module) {
  if (IrLevel() == 0) return;
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder builder;
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  if (IrLevel() == 1) {
    llvm::ModulePassManager passes =
        builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O1);
    passes.run(module, mam);
    return;
  }
  llvm::FunctionPassManager function;
  function.addPass(llvm::SROAPass(llvm::SROAOptions::ModifyCFG));
  function.addPass(llvm::EarlyCSEPass());
  function.addPass(llvm::InstCombinePass());
  function.addPass(llvm::SimplifyCFGPass());
  llvm::ModulePassManager passes;
  passes.addPass(llvm::createModuleToFunctionPassAdaptor(std::move(function)));
  passes.run(module, mam);
}

// The machine code's target: this machine's CPU with every feature it has,
// or, with KIJUN_JIT_CPU=NAME (an LLVM CPU name such as x86-64-v2), that CPU
// and only its own features — code to carry to other machines, or to run
// under valgrind, which does not decode AVX-512.
llvm::Expected<llvm::orc::JITTargetMachineBuilder> TargetMachineFor(const char* chosen_cpu) {
  auto machine = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!machine || chosen_cpu == nullptr || *chosen_cpu == '\0') return machine;
  machine->setCPU(chosen_cpu);
  machine->getFeatures() = llvm::SubtargetFeatures();
  auto target = machine->createTargetMachine();
  if (!target) return target.takeError();
  if (!(*target)->getMCSubtargetInfo()->isCPUStringValid(chosen_cpu)) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "KIJUN_JIT_CPU: '%s' is not a CPU LLVM knows for %s", chosen_cpu,
                                   machine->getTargetTriple().str().c_str());
  }
  return machine;
}

// The failure injected for testing (JitEngine::InjectFault).
struct InjectedFault {
  std::mutex mutex;
  std::string spec;
  InjectedFault() {
    const char* env = std::getenv("KIJUN_JIT_FAULT");
    if (env != nullptr) spec = env;
  }
  bool Is(const std::string& kind, const std::string& disease) {
    std::lock_guard<std::mutex> lock(mutex);
    return spec == kind + ":" + disease;
  }
};

InjectedFault& Injected() {
  static InjectedFault fault;
  return fault;
}

// Stand-ins for generated code that faults: a write through a null pointer.
void FaultingJudge(NativeFrame* /*frame*/, uint8_t* /*verdict*/) {
  volatile int* nowhere = nullptr;
  *nowhere = 1;
}
void FaultingRoot(const NativeFrame* /*frame*/, NativeValue* /*out*/) {
  volatile int* nowhere = nullptr;
  *nowhere = 1;
}

// A stand-in that overflows the stack: each call keeps a kilobyte live
// across the next; the bound, read through a volatile, is never reached.
volatile uint64_t overflow_bound = ~uint64_t{0};
__attribute__((noinline)) uint64_t Deeper(uint64_t depth) {
  volatile char kept[1024];
  kept[depth % sizeof kept] = char(depth);
  if (depth >= overflow_bound) return depth;
  return Deeper(depth + 1) + uint64_t(kept[depth % sizeof kept]);
}
void OverflowingJudge(NativeFrame* /*frame*/, uint8_t* verdict) { verdict[0] = uint8_t(Deeper(0)); }

// A short hex digest naming a cached object.
std::string ObjectKey(const std::string& material) {
  return dsl::Sha256Hex(material).substr(0, 40);
}

}  // namespace

// Each rule set lives in its own JITDylib (so its functions can have the
// same names in every process, which the object cache needs), with its code
// owned by one ResourceTracker.
struct NativeRuleSet::Tracker {
  llvm::orc::ExecutionSession* session = nullptr;
  llvm::orc::JITDylib* dylib = nullptr;
  llvm::orc::ResourceTrackerSP tracker;
  std::mutex* mutex = nullptr;
};

NativeRuleSet::~NativeRuleSet() {
  if (!tracker_ || !tracker_->tracker) return;
  std::lock_guard<std::mutex> lock(*tracker_->mutex);
  if (auto error = tracker_->tracker->remove()) llvm::consumeError(std::move(error));
  if (auto error = tracker_->session->removeJITDylib(*tracker_->dylib)) {
    llvm::consumeError(std::move(error));
  }
}

struct JitEngine::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
  std::unique_ptr<DiskObjectCache> cache;
  llvm::orc::JITDylib* runtime = nullptr;
  std::string target;
  std::mutex mutex;
  std::atomic<int> next_dylib{0};
};

// Changes whenever the generated code for the same IR could change.
constexpr const char* kCodegenVersion = "kijun-codegen-5";

JitEngine::JitEngine() : impl_(std::make_unique<Impl>()) {}
JitEngine::~JitEngine() = default;

JitEngine* JitEngine::Get(std::string* error, const std::string& cache_directory) {
  static std::once_flag once;
  static std::unique_ptr<JitEngine> engine;
  static std::string failure;
  std::call_once(once, [&cache_directory] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    std::unique_ptr<DiskObjectCache> cache;
    if (!cache_directory.empty()) cache = std::make_unique<DiskObjectCache>(cache_directory);
    DiskObjectCache* cache_ptr = cache.get();
    auto machine = TargetMachineFor(std::getenv("KIJUN_JIT_CPU"));
    if (!machine) {
      failure = ErrorText(machine.takeError());
      return;
    }
    // The CPU and its features are part of the cache key: code cached on one
    // machine is not run on another whose CPU lacks an instruction it uses.
    std::string cpu = machine->getCPU() + "|" + machine->getFeatures().getString();
    auto jit =
        llvm::orc::LLJITBuilder()
            .setJITTargetMachineBuilder(std::move(*machine))
            .setCompileFunctionCreator(
                [cache_ptr](llvm::orc::JITTargetMachineBuilder jtmb)
                    -> llvm::Expected<std::unique_ptr<llvm::orc::IRCompileLayer::IRCompiler>> {
                  jtmb.setCodeGenOptLevel(CodeGenLevel());
                  jtmb.getOptions().EnableFastISel = FastInstructionSelection();
                  return std::make_unique<llvm::orc::ConcurrentIRCompiler>(std::move(jtmb),
                                                                           cache_ptr);
                })
            .create();
    if (!jit) {
      failure = ErrorText(jit.takeError());
      return;
    }
    auto& dylib = (*jit)->getExecutionSession().createBareJITDylib("kijun_runtime");
    llvm::orc::SymbolMap symbols;
    int count = 0;
    const RuntimeSymbol* runtime = RuntimeSymbols(count);
    for (int i = 0; i < count; ++i) {
      symbols[(*jit)->mangleAndIntern(runtime[i].name)] = {
          llvm::orc::ExecutorAddr::fromPtr(runtime[i].address), llvm::JITSymbolFlags::Exported};
    }
    if (auto e = dylib.define(llvm::orc::absoluteSymbols(std::move(symbols)))) {
      failure = ErrorText(std::move(e));
      return;
    }
    engine.reset(new JitEngine());
    engine->impl_->runtime = &dylib;
    engine->impl_->target = (*jit)->getTargetTriple().str() + "|" + cpu;
    engine->impl_->jit = std::move(*jit);
    engine->impl_->cache = std::move(cache);
  });
  if (!engine && error != nullptr) *error = failure;
  return engine.get();
}

int JitEngine::cache_hits() const { return impl_->cache ? impl_->cache->hits() : 0; }
int JitEngine::cache_misses() const { return impl_->cache ? impl_->cache->misses() : 0; }
int JitEngine::cache_rejected() const { return impl_->cache ? impl_->cache->rejected() : 0; }

void JitEngine::InjectFault(const std::string& spec) {
  std::lock_guard<std::mutex> lock(Injected().mutex);
  Injected().spec = spec;
}

std::unique_ptr<NativeRuleSet> JitEngine::Compile(const ir::RuleSet& rules, std::string& error) {
  if (Injected().Is("compile", rules.DiseaseKey())) {
    error = "injected compile failure (KIJUN_JIT_FAULT)";
    return nullptr;
  }
  auto context = std::make_unique<llvm::LLVMContext>();
  std::vector<CompiledRoot> roots;
  auto module = GenerateModule(rules, *context, "kijun_rule", roots);
  // The cache key: what the rules say, how they are compiled, and for what.
  std::string key_material =
      rules.content_hash + "|" + kCodegenVersion + "|" LLVM_VERSION_STRING "|" + impl_->target +
      "|O" + std::to_string(static_cast<int>(CodeGenLevel())) + "|IR" + std::to_string(IrLevel()) +
      (FastInstructionSelection() ? "|fast" : "");
  module->setModuleIdentifier("k" + ObjectKey(key_material));
  std::string verify;
  llvm::raw_string_ostream verify_out(verify);
  if (llvm::verifyModule(*module, &verify_out)) {
    error = "generated code is invalid: " + verify_out.str();
    return nullptr;
  }
  // An object already cached for these rules needs no optimised IR.
  if (!impl_->cache || !impl_->cache->Preload(module->getModuleIdentifier())) OptimizeIr(*module);

  std::unique_ptr<NativeRuleSet> native(new NativeRuleSet());
  native->calcs_.assign(rules.calcs.size(), nullptr);
  native->checks_.assign(rules.checks.size(), nullptr);
  native->texts_ = TextTable::Of(rules);
  for (const auto& c : rules.classifications)
    native->levels_.emplace_back(c.levels.size(), nullptr);
  native->total_ = static_cast<int>(rules.calcs.size() + rules.checks.size());
  for (const auto& c : rules.classifications) {
    for (const auto& l : c.levels) native->total_ += l.condition ? 1 : 0;
  }

  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto& jit = *impl_->jit;
  auto& session = jit.getExecutionSession();
  auto& dylib = session.createBareJITDylib("kijun_rules_" + std::to_string(impl_->next_dylib++));
  dylib.addToLinkOrder(*impl_->runtime);
  native->tracker_ = std::make_unique<NativeRuleSet::Tracker>();
  native->tracker_->session = &session;
  native->tracker_->dylib = &dylib;
  native->tracker_->mutex = &impl_->mutex;
  native->tracker_->tracker = dylib.createResourceTracker();
  // The plugin functions the rules call, by name (never as addresses in the
  // code: a cached object is linked again in later processes, where the
  // plugin is loaded elsewhere). The content hash in the cache key carries
  // each plugin's name and version.
  if (!rules.externals.empty()) {
    llvm::orc::SymbolMap symbols;
    for (const auto& f : rules.externals) {
      symbols[jit.mangleAndIntern(f.symbol)] = {
          llvm::orc::ExecutorAddr::fromPtr(reinterpret_cast<void*>(f.entry)),
          llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable};
    }
    if (auto e = dylib.define(llvm::orc::absoluteSymbols(std::move(symbols)))) {
      error = ErrorText(std::move(e));
      return nullptr;
    }
  }
  if (auto e =
          jit.addIRModule(native->tracker_->tracker,
                          llvm::orc::ThreadSafeModule(std::move(module), std::move(context)))) {
    error = ErrorText(std::move(e));
    return nullptr;
  }
  for (const auto& root : roots) {
    auto address = jit.lookup(dylib, root.symbol);
    if (!address) {
      error = ErrorText(address.takeError());
      return nullptr;
    }
    if (root.kind == RootKind::kJudge) {
      native->judge_ = address->toPtr<NativeJudgeFunction>();
      native->layout_ = VerdictLayout::Of(rules);
      native->compiled_ = native->total_;
      continue;
    }
    auto fn = address->toPtr<NativeFunction>();
    switch (root.kind) {
      case RootKind::kCalc:
        native->calcs_[size_t(root.index)] = fn;
        break;
      case RootKind::kLevel:
        native->levels_[size_t(root.index)][size_t(root.level)] = fn;
        break;
      case RootKind::kCheck:
        native->checks_[size_t(root.index)] = fn;
        break;
      case RootKind::kJudge:
        break;
    }
    ++native->compiled_;
  }
  if (Injected().Is("crash", rules.DiseaseKey())) {
    if (native->judge_ != nullptr) native->judge_ = FaultingJudge;
    for (auto& fn : native->calcs_) fn = fn != nullptr ? FaultingRoot : nullptr;
    for (auto& fn : native->checks_) fn = fn != nullptr ? FaultingRoot : nullptr;
    for (auto& level : native->levels_) {
      for (auto& fn : level) fn = fn != nullptr ? FaultingRoot : nullptr;
    }
  }
  if (Injected().Is("overflow", rules.DiseaseKey()) && native->judge_ != nullptr) {
    native->judge_ = OverflowingJudge;
  }
  return native;
}

}  // namespace kijun::engine::jit
