#pragma once
// A thin RAII layer over sqlite3 prepared statements: bind by position,
// step, read columns. Every query Herald runs goes through bind(), so user
// input never becomes SQL text.
#include <cstdint>
#include <optional>
#include <string>
#include <memory>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace herald::store::sqlite {

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& reset();  // clears bindings and rewinds; returns *this
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, std::nullopt_t);
  Statement& bind(int index, const std::optional<std::string>& value);
  Statement& bind(int index, const std::optional<std::int64_t>& value);
  // Binds without copying: `value` must outlive the statement's next step.
  Statement& bind_blob(int index, std::string_view value);

  bool step();  // true while a row is available; throws StorageError on failure
  void run();   // step to completion, expecting no rows

  std::int64_t column_int(int index) const;
  std::string column_text(int index) const;
  // Valid until the next step or reset.
  std::string_view column_blob(int index) const;
  bool column_is_null(int index) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Prepared statements, prepared on first use and kept for the connection's
// life. Keyed by the SQL literal's address: every call site passes a literal.
class Statements {
 public:
  explicit Statements(sqlite3* db) : db_(db) {}
  Statement& get(const char* sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) it = cache_.emplace(sql, std::make_unique<Statement>(db_, sql)).first;
    return it->second->reset();
  }

 private:
  sqlite3* db_;
  std::unordered_map<const char*, std::unique_ptr<Statement>> cache_;
};

// Runs SQL that takes no parameters (schema, pragmas, BEGIN/COMMIT).
void exec(sqlite3* db, std::string_view sql);

}  // namespace herald::store::sqlite
