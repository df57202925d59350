#include "engine/jit/jit_engine.h"

#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>

#include <atomic>

#include "engine/jit/codegen.h"
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

}  // namespace

struct NativeRuleSet::Tracker {
  llvm::orc::ResourceTrackerSP tracker;
};

NativeRuleSet::~NativeRuleSet() {
  if (tracker_ && tracker_->tracker) {
    if (auto error = tracker_->tracker->remove()) llvm::consumeError(std::move(error));
  }
}

struct JitEngine::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
  std::mutex mutex;
  std::atomic<int> next_module{0};
};

JitEngine::JitEngine() : impl_(std::make_unique<Impl>()) {}
JitEngine::~JitEngine() = default;

JitEngine* JitEngine::Get(std::string* error) {
  static std::once_flag once;
  static std::unique_ptr<JitEngine> engine;
  static std::string failure;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    auto jit = llvm::orc::LLJITBuilder().create();
    if (!jit) {
      failure = ErrorText(jit.takeError());
      return;
    }
    auto& dylib = (*jit)->getMainJITDylib();
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
    engine->impl_->jit = std::move(*jit);
  });
  if (!engine && error != nullptr) *error = failure;
  return engine.get();
}

std::unique_ptr<NativeRuleSet> JitEngine::Compile(const ir::RuleSet& rules, std::string& error) {
  std::string prefix = "kijun_rules_" + std::to_string(impl_->next_module++);
  auto context = std::make_unique<llvm::LLVMContext>();
  std::vector<CompiledRoot> roots;
  auto module = GenerateModule(rules, *context, prefix, roots);
  std::string verify;
  llvm::raw_string_ostream verify_out(verify);
  if (llvm::verifyModule(*module, &verify_out)) {
    error = "generated code is invalid: " + verify_out.str();
    return nullptr;
  }

  std::unique_ptr<NativeRuleSet> native(new NativeRuleSet());
  native->calcs_.assign(rules.calcs.size(), nullptr);
  native->checks_.assign(rules.checks.size(), nullptr);
  for (const auto& c : rules.classifications)
    native->levels_.emplace_back(c.levels.size(), nullptr);
  native->total_ = static_cast<int>(rules.calcs.size() + rules.checks.size());
  for (const auto& c : rules.classifications) {
    for (const auto& l : c.levels) native->total_ += l.condition ? 1 : 0;
  }

  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto& jit = *impl_->jit;
  native->tracker_ = std::make_unique<NativeRuleSet::Tracker>();
  native->tracker_->tracker = jit.getMainJITDylib().createResourceTracker();
  if (auto e =
          jit.addIRModule(native->tracker_->tracker,
                          llvm::orc::ThreadSafeModule(std::move(module), std::move(context)))) {
    error = ErrorText(std::move(e));
    return nullptr;
  }
  for (const auto& root : roots) {
    auto address = jit.lookup(root.symbol);
    if (!address) {
      error = ErrorText(address.takeError());
      return nullptr;
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
    }
    ++native->compiled_;
  }
  return native;
}

}  // namespace kijun::engine::jit
