#pragma once

// Runs native rule code so that a synchronous fault inside it (SIGSEGV,
// SIGBUS, SIGFPE, SIGILL, SIGTRAP) ends that call instead of the process:
// the registry serves every disease from one process, and a fault in one
// disease's generated code must not take the others down. A fault outside
// a guarded call is handed to whatever handled the signal before (by
// default, the process dies as it would have). The caller stops using the
// faulted code (NativeRuleSet::MarkFaulted) and judges on the interpreter.
//
// Each thread that runs guarded code gets an alternate signal stack (unless
// it has one), so a fault that is a stack overflow is caught too.
//
// Limits: the guard does not unwind (no destructors run in the aborted
// call), so guarded code must not hold locks or own memory; the generated
// code owns none, and its runtime helpers only append to the frame's error
// list.

#include <csetjmp>
#include <csignal>

namespace kijun::engine::jit {

namespace fault_guard_detail {
struct ThreadState {
  sigjmp_buf jump;
  volatile sig_atomic_t armed;
};
ThreadState& ThisThread();
// Installs the handlers (once per process) and this thread's alternate
// signal stack (once per thread).
void Prepare();
}  // namespace fault_guard_detail

// Calls `native()`; false when it faulted.
template <class Native>
bool RunGuarded(Native&& native) {
  fault_guard_detail::Prepare();
  fault_guard_detail::ThreadState& state = fault_guard_detail::ThisThread();
  // No signal mask is saved (it costs a system call); the handlers run with
  // SA_NODEFER, so nothing stays blocked after the jump.
  if (sigsetjmp(state.jump, 0) != 0) {
    state.armed = 0;
    return false;
  }
  state.armed = 1;
  native();
  state.armed = 0;
  return true;
}

}  // namespace kijun::engine::jit
