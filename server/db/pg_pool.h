#pragma once

// A fixed-size pool of connections to one database (one tier), opened
// lazily. A connection that broke is dropped and replaced, and a call that
// failed because the connection was lost is retried once on a fresh one, so
// the server reconnects by itself after a PostgreSQL restart.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/db/pg.h"

namespace kijun::server::db {

class PgPool {
 public:
  PgPool(std::string conninfo, int size) : conninfo_(std::move(conninfo)), size_(size) {}

  // Runs `work` with a connection. Work that changes data must run in one
  // Transaction so a retry after a lost connection cannot apply it twice.
  // Throws PgError (SQLSTATE 53300) when no connection frees up in time.
  template <typename Work>
  auto With(Work&& work) -> decltype(work(std::declval<PgConnection&>())) {
    for (int attempt = 0;; ++attempt) {
      std::unique_ptr<PgConnection> connection = Acquire();
      try {
        if constexpr (std::is_void_v<decltype(work(*connection))>) {
          work(*connection);
          Release(std::move(connection));
          return;
        } else {
          auto result = work(*connection);
          Release(std::move(connection));
          return result;
        }
      } catch (const PgError& e) {
        bool lost = e.ConnectionLost() && !connection->Healthy();
        Release(lost ? nullptr : std::move(connection));
        if (!lost || attempt > 0) throw;
      } catch (...) {
        Release(std::move(connection));
        throw;
      }
    }
  }

  const std::string& conninfo() const { return conninfo_; }

 private:
  std::unique_ptr<PgConnection> Acquire();
  // Returns a connection to the pool; null when it was dropped.
  void Release(std::unique_ptr<PgConnection> connection);

  std::string conninfo_;
  int size_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int open_ = 0;
};

}  // namespace kijun::server::db
