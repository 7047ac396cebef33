#pragma once
// One PostgreSQL connection through libpq, for the cluster's storage
// (docs/CLUSTER.md, step 4): every statement goes through exec() with its
// parameters passed apart from the SQL text (PQexecParams), so user input
// never becomes SQL, as with SQLite's Statement. Text format both ways,
// except bytea, which travels as binary. Any failure, a lost connection
// included, is a StorageError; a statement outside a transaction that finds
// the connection lost is run again once on a new connection.
//
// Not thread-safe: one connection per thread, as SqliteDatabase.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

struct pg_conn;
struct pg_result;

namespace herald::store::pg {

// A statement parameter: NULL, an integer, text, or bytes (bytea).
struct Bytes {
  std::string data;
};
using Param = std::variant<std::nullopt_t, std::int64_t, std::string, Bytes>;

// The rows of one statement's result, read by row and column.
class PgResult {
 public:
  explicit PgResult(pg_result* result) : result_(result) {}
  ~PgResult();
  PgResult(PgResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  int rows() const;
  bool is_null(int row, int column) const;
  std::int64_t integer(int row, int column) const;  // throws StorageError if not one
  std::string text(int row, int column) const;
  std::string bytes(int row, int column) const;  // a bytea column, its bytes
  // Rows changed by an INSERT, UPDATE or DELETE.
  std::int64_t affected() const;

 private:
  pg_result* result_;
};

class PgConnection {
 public:
  // `url`: postgresql://user[:password]@host[:port]/database (libpq's).
  explicit PgConnection(std::string url);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  PgResult exec(std::string_view sql, const std::vector<Param>& params = {});
  // A statement with no parameters and no rows wanted (BEGIN, DDL).
  void run(std::string_view sql) { exec(sql); }
  // Several statements of our own, no parameters (a migration).
  void script(std::string_view sql);
  bool connected() const;

 private:
  void connect();
  void disconnect();
  // The result, or a StorageError with the server's message.
  PgResult checked(pg_result* raw);
  const std::string& prepared(std::string_view sql, int params);
  PgResult run_prepared(std::string_view sql, const std::vector<Param>& params);

  std::string url_;
  pg_conn* conn_ = nullptr;
  // SQL text -> prepared statement name, on this session.
  std::map<std::string, std::string, std::less<>> statements_;
};

}  // namespace herald::store::pg
