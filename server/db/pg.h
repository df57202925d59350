#pragma once

// PostgreSQL through libpq: a connection that runs prepared statements only
// (each statement is prepared once per connection, by name), results with
// typed access, and a transaction guard. Errors throw PgError with the
// server's SQLSTATE, so callers can tell a unique violation from a lost
// connection.

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace kijun::server::db {

class PgError : public std::runtime_error {
 public:
  PgError(const std::string& message, std::string sqlstate)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }
  bool UniqueViolation() const { return sqlstate_ == "23505"; }
  // The connection broke (class 08) or the server is shutting down (57P).
  bool ConnectionLost() const {
    return sqlstate_.rfind("08", 0) == 0 || sqlstate_.rfind("57P", 0) == 0 || sqlstate_.empty();
  }

 private:
  std::string sqlstate_;
};

// A named SQL statement with $1, $2 … parameters.
struct Statement {
  const char* name;
  const char* sql;
};

// A parameter: text, or SQL NULL.
using Param = std::optional<std::string>;

class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result, &PQclear) {}
  int rows() const { return PQntuples(result_.get()); }
  bool IsNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  std::string Text(int row, int column) const { return PQgetvalue(result_.get(), row, column); }
  std::optional<std::string> Optional(int row, int column) const;
  int64_t Int(int row, int column) const;
  bool Bool(int row, int column) const { return Text(row, column) == "t"; }
  // Rows changed by an INSERT / UPDATE / DELETE.
  int64_t Affected() const;
  const PGresult* result() const { return result_.get(); }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> result_;
};

class PgConnection {
 public:
  // Connects; throws PgError when the server cannot be reached.
  explicit PgConnection(const std::string& conninfo);
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs a prepared statement (preparing it on first use here).
  PgResult Run(const Statement& statement, const std::vector<Param>& params = {});
  // Runs plain SQL without parameters (migrations and BEGIN / COMMIT only).
  void Script(const std::string& sql);

  // Whether the connection still works; reconnects when it does not.
  bool Healthy();

 private:
  [[noreturn]] void Fail(const PGresult* result, const std::string& what);

  std::string conninfo_;
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn_;
  std::set<std::string> prepared_;
};

// BEGIN on construction; ROLLBACK on destruction unless Commit() ran.
class Transaction {
 public:
  explicit Transaction(PgConnection& connection);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void Commit();

 private:
  PgConnection& connection_;
  bool done_ = false;
};

}  // namespace kijun::server::db
