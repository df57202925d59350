#include "engine/jit/fault_guard.h"

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

}  // namespace

ThreadState& ThisThread() { return this_thread; }

void InstallHandlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_sigaction = OnFault;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    for (int signal : kSignals) sigaction(signal, &action, &previous[signal]);
  });
}

}  // namespace fault_guard_detail

}  // namespace kijun::engine::jit
