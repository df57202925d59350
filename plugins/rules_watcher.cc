#include "plugins/rules_watcher.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <set>

namespace kijun::plugins {

namespace {

constexpr uint32_t kEvents =
    IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_DELETE_SELF;
constexpr auto kQuiet = std::chrono::milliseconds(30);

bool IsRuleFile(const std::string& name) {
  return name.size() > 6 && name.compare(name.size() - 6, 6, ".kijun") == 0;
}

}  // namespace

bool RulesWatcher::Watch(const std::string& directory, std::string& error) {
  int wd = inotify_add_watch(fd_, directory.c_str(), kEvents);
  if (wd < 0) {
    error = "cannot watch '" + directory + "': " + std::strerror(errno);
    return false;
  }
  watches_[wd] = directory;
  return true;
}

bool RulesWatcher::Start(std::string& error) {
  fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) {
    error = std::string("inotify: ") + std::strerror(errno);
    return false;
  }
  if (!Watch(folder_, error)) return false;
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder_, ec)) {
    if (entry.is_directory() && !Watch(entry.path().string(), error)) return false;
  }
  thread_ = std::thread([this] { Run(); });
  return true;
}

void RulesWatcher::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

void RulesWatcher::Run() {
  std::set<std::string> changed;
  auto last = std::chrono::steady_clock::now();
  alignas(inotify_event) char buffer[16384];
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    int ready = poll(&p, 1, 10);
    if (ready > 0) {
      ssize_t n = read(fd_, buffer, sizeof buffer);
      for (ssize_t at = 0; n > 0 && at < n;) {
        const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
        at += ssize_t(sizeof(inotify_event) + event->len);
        auto dir = watches_.find(event->wd);
        if (dir == watches_.end() || event->len == 0) continue;
        std::string path = dir->second + "/" + event->name;
        if ((event->mask & IN_ISDIR) != 0) {
          std::string ignored;
          if ((event->mask & (IN_CREATE | IN_MOVED_TO)) != 0) Watch(path, ignored);
          changed.insert(path);  // a folder moved in or out: publish the whole folder
        } else if (IsRuleFile(event->name)) {
          changed.insert(path);
        }
        last = std::chrono::steady_clock::now();
      }
    }
    if (!changed.empty() && std::chrono::steady_clock::now() - last >= kQuiet) {
      on_change_(std::vector<std::string>(changed.begin(), changed.end()));
      changed.clear();
    }
  }
}

}  // namespace kijun::plugins
