#include "engine/jit/fault_guard.h"

#include <sys/mman.h>

#include <mutex>

namespace kijun::engine::jit {

namespace fault_guard_detail {

namespace {

// Constant-initialised, so reading it in a signal handler needs no lazy
// initialisation.
thread_local ThreadState this_thread{};

constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP};
struct sigaction previous[NSIG];

void OnFault(int signal, siginfo_t* info, void* /*context*/) {
  ThreadState& state = this_thread;
  if (state.armed != 0) {
    state.armed = 0;
    siglongjmp(state.jump, 1);
  }
  // Not a fault of guarded code: the handler before ours decides. For a
  // hardware fault, returning re-runs the faulting instruction under it; a
  // signal sent by a process (si_code <= 0) is raised again.
  sigaction(signal, &previous[signal], nullptr);
  if (info == nullptr || info->si_code <= 0) raise(signal);
}

// The handler's stack when the thread's own has overflowed: without it, a
// fault on the guard page below the stack could not run the handler and
// would end the process.
class AlternateStack {
 public:
  AlternateStack() {
    stack_t current{};
    if (sigaltstack(nullptr, &current) == 0 && (current.ss_flags & SS_DISABLE) == 0) return;
    void* memory = mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) return;
    stack_t stack{};
    stack.ss_sp = memory;
    stack.ss_size = kSize;
    if (sigaltstack(&stack, nullptr) != 0) {
      munmap(memory, kSize);
      return;
    }
    memory_ = memory;
  }
  ~AlternateStack() {
    if (memory_ == nullptr) return;
    stack_t off{};
    off.ss_flags = SS_DISABLE;
    sigaltstack(&off, nullptr);
    munmap(memory_, kSize);
  }
  AlternateStack(const AlternateStack&) = delete;
  AlternateStack& operator=(const AlternateStack&) = delete;

 private:
  static constexpr size_t kSize = size_t{64} << 10;
  void* memory_ = nullptr;
};

void InstallHandlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_sigaction = OnFault;
    action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    for (int signal : kSignals) sigaction(signal, &action, &previous[signal]);
  });
}

}  // namespace

ThreadState& ThisThread() { return this_thread; }

void Prepare() {
  InstallHandlers();
  thread_local AlternateStack stack;
}

}  // namespace fault_guard_detail

}  // namespace kijun::engine::jit
