#include "server/db/pg.h"

#include <charconv>

namespace kijun::server::db {

std::optional<std::string> PgResult::Optional(int row, int column) const {
  if (IsNull(row, column)) return std::nullopt;
  return Text(row, column);
}

int64_t PgResult::Int(int row, int column) const {
  const char* text = PQgetvalue(result_.get(), row, column);
  int64_t value = 0;
  std::from_chars(text, text + std::char_traits<char>::length(text), value);
  return value;
}

int64_t PgResult::Affected() const {
  const char* text = PQcmdTuples(result_.get());
  int64_t value = 0;
  std::from_chars(text, text + std::char_traits<char>::length(text), value);
  return value;
}

PgConnection::PgConnection(const std::string& conninfo)
    : conninfo_(conninfo), conn_(PQconnectdb(conninfo.c_str()), &PQfinish) {
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    throw PgError("cannot connect to PostgreSQL: " + std::string(PQerrorMessage(conn_.get())),
                  "08001");
  }
  // Notices ("already exists, skipping") are not errors; keep them off stderr.
  PQsetNoticeProcessor(
      conn_.get(), [](void*, const char*) {}, nullptr);
}

void PgConnection::Fail(const PGresult* result, const std::string& what) {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = what + ": " + PQerrorMessage(conn_.get());
  throw PgError(message, state != nullptr ? state : "");
}

PgResult PgConnection::Run(const Statement& statement, const std::vector<Param>& params) {
  if (prepared_.count(statement.name) == 0) {
    PgResult prepared(PQprepare(conn_.get(), statement.name, statement.sql, 0, nullptr));
    ExecStatusType status = PQresultStatus(prepared.result());
    if (status != PGRES_COMMAND_OK) Fail(prepared.result(), statement.name);
    prepared_.insert(statement.name);
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PgResult result(PQexecPrepared(conn_.get(), statement.name, int(values.size()), values.data(),
                                 nullptr, nullptr, 0));
  ExecStatusType status = PQresultStatus(result.result());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    Fail(result.result(), statement.name);
  return result;
}

void PgConnection::Script(const std::string& sql) {
  PgResult result(PQexec(conn_.get(), sql.c_str()));
  ExecStatusType status = PQresultStatus(result.result());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) Fail(result.result(), "SQL");
}

bool PgConnection::Healthy() {
  if (PQstatus(conn_.get()) == CONNECTION_OK) return true;
  PQreset(conn_.get());
  prepared_.clear();
  return PQstatus(conn_.get()) == CONNECTION_OK;
}

Transaction::Transaction(PgConnection& connection) : connection_(connection) {
  connection_.Script("BEGIN");
}

Transaction::~Transaction() {
  if (done_) return;
  try {
    connection_.Script("ROLLBACK");
  } catch (const PgError&) {
    // The connection is gone; the server rolls the transaction back itself.
  }
}

void Transaction::Commit() {
  connection_.Script("COMMIT");
  done_ = true;
}

}  // namespace kijun::server::db
