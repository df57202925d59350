#include "server/authorship_sweep.h"

#include <iostream>

namespace kijun::server {

AuthorshipSweep::AuthorshipSweep(Tiers& tiers, AuthorshipVerifier& verifier,
                                 std::chrono::seconds period, std::chrono::seconds first_delay,
                                 Report report)
    : tiers_(tiers),
      verifier_(verifier),
      period_(period),
      first_delay_(first_delay),
      report_(std::move(report)),
      thread_([this] { Run(); }) {}

AuthorshipSweep::~AuthorshipSweep() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void AuthorshipSweep::Run() {
  std::chrono::seconds wait = first_delay_;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, wait, [this] { return stopping_; })) return;
    }
    wait = period_;
    try {
      int64_t checked = 0;
      std::vector<AuthorshipFinding> findings =
          tiers_.institution.With([&](db::PgConnection& institution) {
            return tiers_.registry.With([&](db::PgConnection& registry) {
              return verifier_.VerifyAll(institution, registry, checked);
            });
          });
      for (const AuthorshipFinding& f : findings) report_(f);
      std::cout << "kijun-server: authorship sweep: " << checked << " confirmed forms, "
                << findings.size() << " broken" << std::endl;
    } catch (const std::exception& e) {
      std::cerr << "kijun-server: authorship sweep failed: " << e.what() << std::endl;
    }
  }
}

}  // namespace kijun::server
