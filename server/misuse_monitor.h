#pragma once

// Misuse monitoring and rate limits — the part of an IDS/IPS that the
// application can do. Every request is admitted or refused (429) before it
// is handled: per-terminal and per-session token buckets, and terminals the
// monitor has throttled. Every answered request is observed; rules over
// that stream raise alerts (stored in audit.alerts, logged, listed by
// GET /alerts for operators) and some act:
//   failed_logins        ≥ N failed sign-ins from one terminal in 10 min →
//                        the terminal may not sign in for 15 min
//   access_key_guessing  ≥ N unknown access keys by one user in 10 min →
//                        the terminal may not look up applications for 15 min
//   many_patients        one user touching more than N patients' records in
//                        an hour (once per user and hour) → the account is
//                        locked until an administrator unlocks it
//   after_hours          patient data touched outside working hours (Japan
//                        time; once per user and hour)
//   certificate_errors   ≥ N terminal certificates refused in the TLS
//                        handshake (revoked, another CA, expired) in 10 min
//                        (once per window; the handshake never reaches a
//                        handler, so Poco's verification event feeds it)
//   carry_forward_without_consent
//                        a refused carry-forward of another institution's
//                        form without the patient's consent (each attempt)

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "server/api.h"
#include "server/db/pg_pool.h"
#include "server/router.h"

namespace kijun::server {

class AuthService;

struct MisuseRules {
  double terminal_requests_per_second = 200;  // 0 = no limit
  double terminal_burst = 400;
  double session_requests_per_second = 100;  // per signed-in session; 0 = no limit
  double session_burst = 200;
  int failed_logins = 20;  // across accounts: one account locks after 10 (AuthService)
  int unknown_access_keys = 5;
  int certificate_errors = 10;
  int patients_per_hour = 200;
  bool lock_on_many_patients = true;
  int working_hours_from = 7;  // Japan time, [from, to)
  int working_hours_to = 22;
  std::chrono::minutes window{10};
  std::chrono::minutes throttle{15};
};

struct Alert {
  std::string rule, actor, terminal, detail, action;
};

class MisuseMonitor {
 public:
  using Clock = std::chrono::steady_clock;
  // `now_utc` gives the wall-clock time for working hours (seconds since
  // the epoch); replaceable in tests.
  using WallClock = std::function<int64_t()>;

  MisuseMonitor(MisuseRules rules, db::PgPool* registry, WallClock now_utc = {});

  // Throws ApiError 429 (with the reason and when to retry) when the
  // request must not be handled.
  void Admit(const ApiRequest& request);

  // Feeds an answered request to the rules; returns the alerts it raised
  // (already stored and logged).
  std::vector<Alert> Observe(const ApiRequest& request, const std::string& actor, int status);

  // Called (with the login) after the monitor locked an account.
  void OnAccountLocked(std::function<void(const std::string&)> hook) {
    account_locked_ = std::move(hook);
  }

  // A client certificate refused during a TLS handshake.
  void ObserveCertificateError(const std::string& subject, const std::string& issuer,
                               const std::string& reason);

  // An alert found elsewhere (the authorship sweep): stored and logged.
  void Report(Alert alert) {
    std::vector<Alert> sink;
    Raise(sink, std::move(alert));
  }

  // GET /alerts (operators): the newest alerts.
  void Register(Router& router, AuthService& auth);

  // For tests: the time the monitor sees.
  void AdvanceForTest(std::chrono::seconds by) { offset_ += by; }

 private:
  struct Bucket {
    double tokens = -1;
    Clock::time_point at;
  };
  Clock::time_point Now() const { return Clock::now() + offset_; }
  bool Take(std::map<std::string, Bucket>& buckets, const std::string& key, double rate,
            double burst);
  static size_t Recent(std::deque<Clock::time_point>& events, Clock::time_point since);
  void Raise(std::vector<Alert>& out, Alert alert);
  bool LockAccount(const std::string& login);  // true when locked

  MisuseRules rules_;
  db::PgPool* registry_;
  WallClock now_utc_;
  Clock::duration offset_{};
  std::mutex mutex_;
  std::map<std::string, Bucket> terminal_buckets_, session_buckets_;
  std::map<std::string, std::deque<Clock::time_point>> failed_logins_, unknown_keys_;
  std::map<std::string, Clock::time_point> login_blocked_, lookup_blocked_;  // terminal → until
  std::map<std::string, std::pair<Clock::time_point, std::set<std::string>>> patients_;
  std::map<std::string, Clock::time_point> after_hours_said_;
  std::deque<Clock::time_point> certificate_errors_;
  std::function<void(const std::string&)> account_locked_;
};

}  // namespace kijun::server
