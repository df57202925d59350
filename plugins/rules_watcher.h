#pragma once

// Watches a rules folder (and its subfolders) with inotify and reports the
// `.kijun` files written, moved in or deleted, once the folder has been
// quiet for a moment (editors save in several steps). The development
// default source of rule updates; deployed bundles take the same publish
// path (DiseaseRegistry).

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace kijun::plugins {

class RulesWatcher {
 public:
  using OnChange = std::function<void(const std::vector<std::string>& paths)>;

  RulesWatcher(std::string folder, OnChange on_change)
      : folder_(std::move(folder)), on_change_(std::move(on_change)) {}
  ~RulesWatcher() { Stop(); }
  RulesWatcher(const RulesWatcher&) = delete;
  RulesWatcher& operator=(const RulesWatcher&) = delete;

  // Starts watching on a thread of its own; false, with the reason, when
  // inotify cannot watch the folder.
  bool Start(std::string& error);
  void Stop();

 private:
  bool Watch(const std::string& directory, std::string& error);
  void Run();

  std::string folder_;
  OnChange on_change_;
  int fd_ = -1;
  std::map<int, std::string> watches_;  // watch descriptor → directory
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace kijun::plugins
