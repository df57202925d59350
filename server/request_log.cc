#include "server/request_log.h"

#include <cstdio>
#include <ctime>
#include <mutex>

#include "server/recorded_path.h"

namespace kijun::server {

namespace {
thread_local std::string actor;
std::mutex log_mutex;

// Control characters and spaces become '_', so a field cannot forge a line.
std::string Field(const std::string& text) {
  if (text.empty()) return "-";
  std::string out = text;
  for (char& c : out) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) c = '_';
  }
  return out;
}
}  // namespace

void SetRequestActor(const std::string& who) { actor = who; }

const std::string& RequestActor() { return actor; }

void LogRequest(std::ostream& out, const ApiRequest& request, int status,
                std::chrono::steady_clock::duration took) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  char ms[32];
  std::snprintf(ms, sizeof ms, "%.2fms", std::chrono::duration<double, std::milli>(took).count());
  std::string line = std::string(when) + " terminal=" + Field(request.terminal.common_name) +
                     " user=" + Field(actor) + " " + Field(request.method) + " " +
                     Field(RecordedPath(request.path)) + " " + std::to_string(status) + " " + ms +
                     "\n";
  std::lock_guard<std::mutex> lock(log_mutex);
  out << line << std::flush;
}

}  // namespace kijun::server
