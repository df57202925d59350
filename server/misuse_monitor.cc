#include "server/misuse_monitor.h"

#include <algorithm>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "dsl/sha256.h"
#include "server/auth_service.h"

namespace kijun::server {

namespace {

constexpr db::Statement kInsertAlert = {
    "misuse_insert_alert",
    "INSERT INTO audit.alerts (rule, actor, terminal, detail, action) VALUES ($1, $2, $3, $4, $5)"};
constexpr db::Statement kLockAccount = {"misuse_lock_account",
                                        "UPDATE registry.users SET locked = true WHERE login = $1"};
constexpr db::Statement kRecentAlerts = {
    "misuse_recent_alerts",
    "SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), rule, actor,"
    " terminal, detail, action FROM audit.alerts ORDER BY id DESC LIMIT 200"};

bool StartsWith(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

bool IsPatientData(const std::string& path) {
  return StartsWith(path, "/patients") || StartsWith(path, "/forms") ||
         StartsWith(path, "/applications") || StartsWith(path, "/national");
}

// The record a path names ("/forms/12/print" → "forms/12"), or "".
std::string RecordOf(const std::string& path) {
  for (const char* prefix : {"/patients/", "/forms/", "/applications/"}) {
    if (!StartsWith(path, prefix)) continue;
    size_t start = std::char_traits<char>::length(prefix);
    size_t end = path.find('/', start);
    std::string id = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (id.empty()) return "";
    return std::string(prefix + 1) + dsl::Sha256Hex(id).substr(0, 16);
  }
  return "";
}

std::string Minutes(std::chrono::minutes m) { return std::to_string(m.count()); }

ApiError TooMany(const std::string& ja, const std::string& en) {
  return ApiError(429, "too_many_requests", ja, en);
}

}  // namespace

MisuseMonitor::MisuseMonitor(MisuseRules rules, db::PgPool* registry, WallClock now_utc)
    : rules_(rules), registry_(registry), now_utc_(std::move(now_utc)) {
  if (!now_utc_) now_utc_ = [] { return static_cast<int64_t>(std::time(nullptr)); };
}

bool MisuseMonitor::Take(std::map<std::string, Bucket>& buckets, const std::string& key,
                         double rate, double burst) {
  if (rate <= 0) return true;
  Bucket& b = buckets[key];
  Clock::time_point now = Now();
  if (b.tokens < 0) {
    b.tokens = burst;
  } else {
    b.tokens = std::min(burst, b.tokens + rate * std::chrono::duration<double>(now - b.at).count());
  }
  b.at = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

void MisuseMonitor::Admit(const ApiRequest& request) {
  std::lock_guard<std::mutex> lock(mutex_);
  Clock::time_point now = Now();
  const std::string& terminal = request.terminal.serial;
  if (request.path == "/login") {
    auto it = login_blocked_.find(terminal);
    if (it != login_blocked_.end() && it->second > now) {
      throw TooMany("この端末からのサインインは失敗が続いたため一時停止中です (" +
                        Minutes(rules_.throttle) + " 分)。運用者に連絡してください",
                    "sign-in from this terminal is suspended after repeated failures (" +
                        Minutes(rules_.throttle) + " min); contact the operator");
    }
  }
  if (StartsWith(request.path, "/applications")) {
    auto it = lookup_blocked_.find(terminal);
    if (it != lookup_blocked_.end() && it->second > now) {
      throw TooMany("存在しないアクセスキーが続いたため、この端末からの申請の照会は一時停止中です",
                    "application look-ups from this terminal are suspended after repeated "
                    "unknown access keys");
    }
  }
  if (!Take(terminal_buckets_, terminal, rules_.terminal_requests_per_second,
            rules_.terminal_burst)) {
    throw TooMany("この端末からの要求が多すぎます。少し待ってから再度お試しください",
                  "too many requests from this terminal; retry in a moment");
  }
  if (!request.bearer.empty() && !Take(session_buckets_, dsl::Sha256Hex(request.bearer),
                                       rules_.session_requests_per_second, rules_.session_burst)) {
    throw TooMany("このセッションからの要求が多すぎます。少し待ってから再度お試しください",
                  "too many requests from this session; retry in a moment");
  }
}

size_t MisuseMonitor::Recent(std::deque<Clock::time_point>& events, Clock::time_point since) {
  while (!events.empty() && events.front() < since) events.pop_front();
  return events.size();
}

void MisuseMonitor::Raise(std::vector<Alert>& out, Alert alert) {
  std::cerr << "kijun-server: ALERT " << alert.rule << " terminal=" << alert.terminal
            << " user=" << (alert.actor.empty() ? "-" : alert.actor) << ": " << alert.detail << " ("
            << alert.action << ")" << std::endl;
  if (registry_ != nullptr) {
    try {
      registry_->With([&](db::PgConnection& c) {
        c.Run(kInsertAlert, {alert.rule, alert.actor, alert.terminal, alert.detail, alert.action});
      });
    } catch (const std::exception& e) {
      std::cerr << "kijun-server: ALERT NOT STORED: " << e.what() << std::endl;
    }
  }
  out.push_back(std::move(alert));
}

std::vector<Alert> MisuseMonitor::Observe(const ApiRequest& request, const std::string& actor,
                                          int status) {
  std::vector<Alert> raised;
  std::lock_guard<std::mutex> lock(mutex_);
  Clock::time_point now = Now();
  const std::string& terminal = request.terminal.serial;
  Clock::time_point since = now - rules_.window;
  if (request.method == "POST" && request.path == "/login" && (status == 401 || status == 403)) {
    auto& events = failed_logins_[terminal];
    events.push_back(now);
    if (Recent(events, since) >= size_t(rules_.failed_logins)) {
      events.clear();
      login_blocked_[terminal] = now + rules_.throttle;
      Raise(raised,
            {"failed_logins", actor, terminal,
             std::to_string(rules_.failed_logins) + " 回のサインイン失敗 (" +
                 Minutes(rules_.window) + " 分以内) / " + std::to_string(rules_.failed_logins) +
                 " failed sign-ins within " + Minutes(rules_.window) + " min",
             "throttled terminal: no sign-in for " + Minutes(rules_.throttle) + " min"});
    }
  }
  if (StartsWith(request.path, "/applications") && status == 404) {
    std::string who = actor.empty() ? "terminal:" + terminal : actor;
    auto& events = unknown_keys_[who];
    events.push_back(now);
    if (Recent(events, since) >= size_t(rules_.unknown_access_keys)) {
      events.clear();
      lookup_blocked_[terminal] = now + rules_.throttle;
      Raise(
          raised,
          {"access_key_guessing", actor, terminal,
           std::to_string(rules_.unknown_access_keys) + " 件の存在しないアクセスキー (" +
               Minutes(rules_.window) + " 分以内) / " + std::to_string(rules_.unknown_access_keys) +
               " unknown access keys within " + Minutes(rules_.window) + " min",
           "throttled terminal: no application look-ups for " + Minutes(rules_.throttle) + " min"});
    }
  }
  if (request.method == "POST" && request.path == "/forms" && status == 403) {
    // The workflow refuses to carry forward another institution's form
    // without the patient's consent; each attempt is reported.
    nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_object() && body.value("carry_forward", false) == true &&
        body.value("patient_consent", false) == false) {
      Raise(raised, {"carry_forward_without_consent", actor, terminal,
                     "別の医療機関の患者の前回値踏襲を同意なしに試みました (患者 " +
                         body.value("patient_id", nlohmann::json()).dump() +
                         ") / carry-forward of another institution's form without the "
                         "patient's consent",
                     "refused"});
    }
  }
  if (!actor.empty() && status < 400 && IsPatientData(request.path)) {
    std::string record = RecordOf(request.path);
    if (!record.empty()) {
      auto& [started, records] = patients_[actor];
      if (records.empty() || now - started > std::chrono::hours(1)) {
        started = now;
        records.clear();
      }
      bool was_below = records.size() <= size_t(rules_.patients_per_hour);
      records.insert(record);
      if (was_below && records.size() > size_t(rules_.patients_per_hour)) {
        // Reading far more patients than anyone's work needs is how records
        // leave: the account is locked until its administrator unlocks it.
        bool locked = rules_.lock_on_many_patients && LockAccount(actor);
        Raise(raised, {"many_patients", actor, terminal,
                       "1 時間に " + std::to_string(records.size()) +
                           " 件を超える患者の記録を参照・変更 / more than " +
                           std::to_string(rules_.patients_per_hour) +
                           " patients' records touched within an hour",
                       locked ? "locked account (an administrator unlocks it)" : "alert"});
      }
    }
    int64_t japan = now_utc_() + 9 * 3600;
    int hour = static_cast<int>((japan % 86400) / 3600);
    if (hour < rules_.working_hours_from || hour >= rules_.working_hours_to) {
      auto it = after_hours_said_.find(actor);
      if (it == after_hours_said_.end() || now - it->second > std::chrono::hours(1)) {
        after_hours_said_[actor] = now;
        Raise(raised,
              {"after_hours", actor, terminal,
               "業務時間外 (" + std::to_string(hour) +
                   " 時台, 日本時間) の患者データへのアクセス: " + request.method + " " +
                   request.path.substr(0, 40) + " / patient data touched outside working hours (" +
                   std::to_string(hour) + ":00 Japan time)",
               "alert"});
      }
    }
  }
  return raised;
}

bool MisuseMonitor::LockAccount(const std::string& login) {
  if (registry_ == nullptr) return false;
  try {
    bool locked = registry_->With(
        [&](db::PgConnection& c) { return c.Run(kLockAccount, {login}).Affected() > 0; });
    if (locked && account_locked_) account_locked_(login);
    return locked;
  } catch (const std::exception& e) {
    std::cerr << "kijun-server: ACCOUNT NOT LOCKED (" << login << "): " << e.what() << std::endl;
    return false;
  }
}

void MisuseMonitor::ObserveCertificateError(const std::string& subject, const std::string& issuer,
                                            const std::string& reason) {
  std::vector<Alert> raised;
  std::lock_guard<std::mutex> lock(mutex_);
  Clock::time_point now = Now();
  certificate_errors_.push_back(now);
  if (Recent(certificate_errors_, now - rules_.window) >= size_t(rules_.certificate_errors)) {
    certificate_errors_.clear();
    Raise(raised, {"certificate_errors", "", subject,
                   std::to_string(rules_.certificate_errors) + " 件の端末証明書を拒否 (" +
                       Minutes(rules_.window) + " 分以内; 最後: " + subject + ", 発行者 " + issuer +
                       ": " + reason + ") / " + std::to_string(rules_.certificate_errors) +
                       " terminal certificates refused within " + Minutes(rules_.window) +
                       " min (last: " + subject + ", issued by " + issuer + ": " + reason + ")",
                   "alert"});
  }
}

void MisuseMonitor::Register(Router& router, AuthService& auth) {
  router.Add("GET", "/alerts", [this, &auth](ApiRequest& request) {
    User user = auth.Authenticate(request);
    AuthService::Require(user, {Role::kOperator});
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    registry_->With([&](db::PgConnection& c) {
      db::PgResult r = c.Run(kRecentAlerts);
      for (int row = 0; row < r.rows(); ++row) {
        list.push_back({{"id", r.Int(row, 0)},
                        {"at", r.Text(row, 1)},
                        {"rule", r.Text(row, 2)},
                        {"user", r.Text(row, 3)},
                        {"terminal", r.Text(row, 4)},
                        {"detail", r.Text(row, 5)},
                        {"action", r.Text(row, 6)}});
      }
    });
    return ApiResponse{200, {{"alerts", list}}, "", ""};
  });
}

}  // namespace kijun::server
