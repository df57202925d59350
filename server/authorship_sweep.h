#pragma once

// The periodic check of every confirmed form's proof of authorship
// (AuthorshipVerifier) while the registry runs: every `period` all confirmed
// forms are verified and each broken one is reported.

#include <chrono>
#include <functional>

#include "server/authorship_verifier.h"
#include "server/periodic_task.h"
#include "server/tiers.h"

namespace kijun::server {

class AuthorshipSweep {
 public:
  using Report = std::function<void(const AuthorshipFinding&)>;

  // The first sweep runs after `first_delay`.
  AuthorshipSweep(Tiers& tiers, AuthorshipVerifier& verifier, std::chrono::seconds period,
                  std::chrono::seconds first_delay, Report report);

 private:
  void Sweep();

  Tiers& tiers_;
  AuthorshipVerifier& verifier_;
  Report report_;
  PeriodicTask task_;  // last: it starts running once the rest is set
};

}  // namespace kijun::server
