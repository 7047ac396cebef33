#include "store/pg/pg_connection.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <utility>

#include "store/database.hpp"

namespace herald::store::pg {

namespace {

// libpq's message, without the trailing newline it carries.
std::string message_of(const pg_conn* conn) {
  std::string m = conn ? PQerrorMessage(conn) : "out of memory";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

// Parameters as libpq wants them: values, lengths and formats side by side
// (text, except bytea, which is sent binary so no byte needs escaping).
struct Wire {
  std::vector<std::string> text;  // owns the integers' decimal text
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;

  explicit Wire(const std::vector<Param>& params) {
    text.reserve(params.size());
    for (const Param& p : params) {
      if (std::holds_alternative<std::nullopt_t>(p)) {
        text.emplace_back();
      } else if (auto* n = std::get_if<std::int64_t>(&p)) {
        text.push_back(std::to_string(*n));
      } else if (auto* s = std::get_if<std::string>(&p)) {
        text.push_back(*s);
      } else {
        text.push_back(std::get<Bytes>(p).data);
      }
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      const bool null = std::holds_alternative<std::nullopt_t>(params[i]);
      values.push_back(null ? nullptr : text[i].data());
      lengths.push_back(static_cast<int>(text[i].size()));
      formats.push_back(std::holds_alternative<Bytes>(params[i]) ? 1 : 0);
    }
  }
};

}  // namespace

PgResult::~PgResult() {
  if (result_) PQclear(result_);
}

PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    if (result_) PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}

int PgResult::rows() const { return result_ ? PQntuples(result_) : 0; }

bool PgResult::is_null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }

std::int64_t PgResult::integer(int row, int column) const {
  const char* v = PQgetvalue(result_, row, column);
  const int n = PQgetlength(result_, row, column);
  std::int64_t out = 0;
  auto [end, ec] = std::from_chars(v, v + n, out);
  if (ec != std::errc() || end != v + n) throw StorageError("postgres: column is not an integer");
  return out;
}

std::string PgResult::text(int row, int column) const {
  return std::string(PQgetvalue(result_, row, column), static_cast<std::size_t>(PQgetlength(result_, row, column)));
}

std::string PgResult::bytes(int row, int column) const {
  // Results come in text format, where bytea is "\x" and hex digits.
  std::size_t length = 0;
  unsigned char* raw =
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(result_, row, column)), &length);
  if (!raw) throw StorageError("postgres: cannot decode a bytea column");
  std::string out(reinterpret_cast<const char*>(raw), length);
  PQfreemem(raw);
  return out;
}

std::int64_t PgResult::affected() const {
  const char* n = PQcmdTuples(result_);
  std::int64_t out = 0;
  std::from_chars(n, n + std::char_traits<char>::length(n), out);
  return out;
}

PgConnection::PgConnection(std::string url) : url_(std::move(url)) { connect(); }

PgConnection::~PgConnection() { disconnect(); }

void PgConnection::connect() {
  disconnect();
  conn_ = PQconnectdb(url_.c_str());
  if (PQstatus(conn_) == CONNECTION_OK) {
    // The server's NOTICEs ("already exists, skipping") would go to stderr.
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  }
  if (PQstatus(conn_) != CONNECTION_OK) {
    // The message names host and database, never the password.
    std::string why = message_of(conn_);
    disconnect();
    throw StorageError("postgres: cannot connect: " + why);
  }
}

void PgConnection::disconnect() {
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
  statements_.clear();  // prepared statements live and die with the session
}

bool PgConnection::connected() const { return conn_ && PQstatus(conn_) == CONNECTION_OK; }

PgResult PgConnection::exec(std::string_view sql, const std::vector<Param>& params) {
  // A connection lost since the last call is made again, once. Not inside a
  // transaction: the server rolled that back with the connection, and the
  // caller learns of it from the statement that fails next.
  if (!connected()) connect();
  // Outside a transaction, a statement that finds the connection lost (the
  // server restarted since the last call) is run again once on a new one:
  // nothing was half done. Inside one, the transaction died with the
  // connection, and the caller hears of it.
  const bool idle = PQtransactionStatus(conn_) == PQTRANS_IDLE;
  try {
    return run_prepared(sql, params);
  } catch (const StorageError&) {
    if (!idle || PQstatus(conn_) == CONNECTION_OK) throw;
  }
  connect();
  return run_prepared(sql, params);
}

PgResult PgConnection::run_prepared(std::string_view sql, const std::vector<Param>& params) {
  Wire wire(params);
  const std::string& name = prepared(sql, static_cast<int>(params.size()));
  pg_result* raw = PQexecPrepared(conn_, name.c_str(), static_cast<int>(params.size()), wire.values.data(),
                                  wire.lengths.data(), wire.formats.data(), 0);
  return checked(raw);
}

// Each distinct statement is parsed and planned once per connection (a
// chat is several statements; parsing each every time was most of its
// cost), then run by name. The cache goes with the connection.
const std::string& PgConnection::prepared(std::string_view sql, int params) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second;
  std::string name = "s" + std::to_string(statements_.size());
  std::string text(sql);
  checked(PQprepare(conn_, name.c_str(), text.c_str(), params, nullptr));
  return statements_.emplace(std::move(text), std::move(name)).first->second;
}

// Our own SQL text only (the migrations): PQexec runs several statements
// in one call, which the parameterised path refuses.
void PgConnection::script(std::string_view sql) {
  if (!connected()) connect();
  std::string text(sql);
  checked(PQexec(conn_, text.c_str()));
}

PgResult PgConnection::checked(pg_result* raw) {
  PgResult result(raw);
  const ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::string why = raw ? PQresultErrorMessage(raw) : message_of(conn_);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    if (why.empty()) why = message_of(conn_);
    // 40P01 deadlock_detected, 40001 serialization_failure: the batch is
    // run again (ConflictError), not failed.
    const char* state = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
    if (state && (std::string_view(state) == "40P01" || std::string_view(state) == "40001")) {
      throw ConflictError("postgres: " + why);
    }
    throw StorageError("postgres: " + why);
  }
  return result;
}

}  // namespace herald::store::pg
