#pragma once

// A background thread that runs a task every `period` (the first time after
// `first_delay`) until it is destroyed; destruction wakes it and waits for
// the task in progress. A task that throws is logged and runs again next
// time.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace kijun::server {

class PeriodicTask {
 public:
  PeriodicTask(std::string name, std::chrono::milliseconds period,
               std::chrono::milliseconds first_delay, std::function<void()> task);
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

 private:
  void Run();

  std::string name_;
  std::chrono::milliseconds period_, first_delay_;
  std::function<void()> task_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kijun::server
