#include "server/db/pg_pool.h"

namespace kijun::server::db {

std::unique_ptr<PgConnection> PgPool::Acquire() {
  std::unique_lock<std::mutex> lock(mutex_);
  auto ready = [&] { return !idle_.empty() || open_ < size_; };
  if (!freed_.wait_for(lock, std::chrono::seconds(10), ready)) {
    throw PgError("no database connection free after 10 s", "53300");
  }
  if (!idle_.empty()) {
    std::unique_ptr<PgConnection> connection = std::move(idle_.back());
    idle_.pop_back();
    return connection;
  }
  ++open_;
  lock.unlock();
  try {
    return std::make_unique<PgConnection>(conninfo_);
  } catch (...) {
    std::lock_guard<std::mutex> again(mutex_);
    --open_;
    freed_.notify_one();
    throw;
  }
}

void PgPool::Release(std::unique_ptr<PgConnection> connection) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (connection) {
    idle_.push_back(std::move(connection));
  } else {
    --open_;
  }
  freed_.notify_one();
}

}  // namespace kijun::server::db
