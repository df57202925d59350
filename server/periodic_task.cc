#include "server/periodic_task.h"

#include <iostream>

namespace kijun::server {

PeriodicTask::PeriodicTask(std::string name, std::chrono::milliseconds period,
                           std::chrono::milliseconds first_delay, std::function<void()> task)
    : name_(std::move(name)),
      period_(period),
      first_delay_(first_delay),
      task_(std::move(task)),
      thread_([this] { Run(); }) {}

PeriodicTask::~PeriodicTask() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void PeriodicTask::Run() {
  std::chrono::milliseconds wait = first_delay_;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, wait, [this] { return stopping_; })) return;
    }
    wait = period_;
    try {
      task_();
    } catch (const std::exception& e) {
      std::cerr << "kijun-server: " << name_ << " failed: " << e.what() << std::endl;
    }
  }
}

}  // namespace kijun::server
