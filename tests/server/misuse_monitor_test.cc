#include "server/misuse_monitor.h"

#include <gtest/gtest.h>

namespace kijun::server {
namespace {

ApiRequest Request(const std::string& method, const std::string& path,
                   const std::string& terminal = "T1", const std::string& bearer = "") {
  ApiRequest r;
  r.method = method;
  r.path = path;
  r.terminal.serial = terminal;
  r.bearer = bearer;
  return r;
}

int Status(MisuseMonitor& monitor, const ApiRequest& request) {
  try {
    monitor.Admit(request);
    return 200;
  } catch (const ApiError& e) {
    return e.status();
  }
}

// 12:00 Japan time on 2026-12-02 (03:00 UTC).
constexpr int64_t kNoonJapan = 1796180400;

MisuseRules Rules() {
  MisuseRules rules;
  rules.terminal_requests_per_second = 0;
  rules.session_requests_per_second = 0;
  return rules;
}

TEST(MisuseMonitor, RepeatedFailedSignInsThrottleTheTerminal) {
  MisuseMonitor monitor(Rules(), nullptr, [] { return kNoonJapan; });
  ApiRequest login = Request("POST", "/login");
  for (int i = 0; i < 19; ++i) EXPECT_TRUE(monitor.Observe(login, "", 401).empty());
  EXPECT_EQ(Status(monitor, login), 200);
  std::vector<Alert> alerts = monitor.Observe(login, "", 401);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].rule, "failed_logins");
  EXPECT_EQ(alerts[0].terminal, "T1");
  EXPECT_EQ(Status(monitor, login), 429);
  EXPECT_EQ(Status(monitor, Request("POST", "/login", "T2")), 200) << "other terminals go on";
  EXPECT_EQ(Status(monitor, Request("GET", "/forms/1", "T1")), 200) << "only sign-in is stopped";
  monitor.AdvanceForTest(std::chrono::minutes(16));
  EXPECT_EQ(Status(monitor, login), 200) << "the throttle ends after 15 minutes";
}

TEST(MisuseMonitor, FailuresSpreadOverMoreThanTheWindowRaiseNothing) {
  MisuseMonitor monitor(Rules(), nullptr, [] { return kNoonJapan; });
  ApiRequest login = Request("POST", "/login");
  for (int i = 0; i < 30; ++i) {
    EXPECT_TRUE(monitor.Observe(login, "", 401).empty()) << i;
    monitor.AdvanceForTest(std::chrono::minutes(1));  // 10 per 10 minutes
  }
  EXPECT_EQ(Status(monitor, login), 200);
}

TEST(MisuseMonitor, AccessKeyGuessingStopsLookUps) {
  MisuseMonitor monitor(Rules(), nullptr, [] { return kNoonJapan; });
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(
        monitor.Observe(Request("GET", "/applications/K" + std::to_string(i)), "city.a", 404)
            .empty());
  }
  std::vector<Alert> alerts = monitor.Observe(Request("GET", "/applications/K9"), "city.a", 404);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].rule, "access_key_guessing");
  EXPECT_EQ(alerts[0].actor, "city.a");
  EXPECT_EQ(Status(monitor, Request("POST", "/applications")), 429);
  EXPECT_EQ(Status(monitor, Request("GET", "/patients/3")), 200);
}

TEST(MisuseMonitor, ManyPatientsInAnHourAlertOnce) {
  MisuseRules rules = Rules();
  rules.patients_per_hour = 5;
  MisuseMonitor monitor(rules, nullptr, [] { return kNoonJapan; });
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(
        monitor.Observe(Request("GET", "/patients/" + std::to_string(i)), "clerk", 200).empty());
    // The same record again does not count twice.
    EXPECT_TRUE(
        monitor.Observe(Request("GET", "/patients/" + std::to_string(i)), "clerk", 200).empty());
  }
  std::vector<Alert> alerts = monitor.Observe(Request("GET", "/forms/99/print"), "clerk", 200);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].rule, "many_patients");
  EXPECT_TRUE(monitor.Observe(Request("GET", "/forms/100"), "clerk", 200).empty()) << "once";
  EXPECT_TRUE(monitor.Observe(Request("GET", "/patients/1000"), "other", 200).empty());
  EXPECT_TRUE(monitor.Observe(Request("GET", "/patients/77"), "clerk", 404).empty())
      << "refused requests touch nothing";
}

TEST(MisuseMonitor, AfterHoursAccessAlertsOncePerHour) {
  int64_t now = kNoonJapan + 12 * 3600;  // midnight in Japan
  MisuseMonitor monitor(Rules(), nullptr, [&] { return now; });
  std::vector<Alert> alerts = monitor.Observe(Request("GET", "/forms/1"), "dr.x", 200);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].rule, "after_hours");
  EXPECT_TRUE(monitor.Observe(Request("GET", "/forms/2"), "dr.x", 200).empty());
  EXPECT_TRUE(monitor.Observe(Request("GET", "/diseases"), "dr.y", 200).empty())
      << "no patient data";
  now = kNoonJapan - 5 * 3600 - 1;  // 06:59:59 → still outside
  monitor.AdvanceForTest(std::chrono::minutes(61));
  EXPECT_EQ(monitor.Observe(Request("GET", "/forms/3"), "dr.x", 200).size(), 1u);
  now = kNoonJapan - 5 * 3600;  // 07:00 → working hours
  monitor.AdvanceForTest(std::chrono::minutes(61));
  EXPECT_TRUE(monitor.Observe(Request("GET", "/forms/4"), "dr.x", 200).empty());
}

TEST(MisuseMonitor, RateLimitsPerTerminalAndPerSession) {
  MisuseRules rules = Rules();
  rules.terminal_requests_per_second = 10;
  rules.terminal_burst = 20;
  rules.session_requests_per_second = 5;
  rules.session_burst = 8;
  MisuseMonitor monitor(rules, nullptr, [] { return kNoonJapan; });
  int admitted = 0;
  for (int i = 0; i < 30; ++i) admitted += Status(monitor, Request("GET", "/x", "T1")) == 200;
  EXPECT_GE(admitted, 20);
  EXPECT_LE(admitted, 21);
  EXPECT_EQ(Status(monitor, Request("GET", "/x", "T2")), 200) << "per terminal";
  int session = 0;
  for (int i = 0; i < 12; ++i) session += Status(monitor, Request("GET", "/x", "T3", "tok")) == 200;
  EXPECT_GE(session, 8);
  EXPECT_LE(session, 9);
  monitor.AdvanceForTest(std::chrono::seconds(2));
  EXPECT_EQ(Status(monitor, Request("GET", "/x", "T1")), 200) << "tokens refill";
}

}  // namespace
}  // namespace kijun::server
