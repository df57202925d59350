#pragma once

// The periodic check of every confirmed form's proof of authorship
// (AuthorshipVerifier) while the registry runs: a background thread that
// sweeps all confirmed forms every `period` and reports each broken one.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "server/authorship_verifier.h"
#include "server/tiers.h"

namespace kijun::server {

class AuthorshipSweep {
 public:
  using Report = std::function<void(const AuthorshipFinding&)>;

  // Starts the thread; the first sweep runs after `first_delay`.
  AuthorshipSweep(Tiers& tiers, AuthorshipVerifier& verifier, std::chrono::seconds period,
                  std::chrono::seconds first_delay, Report report);
  ~AuthorshipSweep();
  AuthorshipSweep(const AuthorshipSweep&) = delete;
  AuthorshipSweep& operator=(const AuthorshipSweep&) = delete;

 private:
  void Run();

  Tiers& tiers_;
  AuthorshipVerifier& verifier_;
  std::chrono::seconds period_, first_delay_;
  Report report_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kijun::server
