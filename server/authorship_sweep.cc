#include "server/authorship_sweep.h"

#include <iostream>

namespace kijun::server {

AuthorshipSweep::AuthorshipSweep(Tiers& tiers, AuthorshipVerifier& verifier,
                                 std::chrono::seconds period, std::chrono::seconds first_delay,
                                 Report report)
    : tiers_(tiers),
      verifier_(verifier),
      report_(std::move(report)),
      task_("authorship sweep", period, first_delay, [this] { Sweep(); }) {}

void AuthorshipSweep::Sweep() {
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
}

}  // namespace kijun::server
