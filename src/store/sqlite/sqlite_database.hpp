#pragma once
// Database over one SQLite connection in WAL mode. A StorageRunner opens
// one for its writer thread and one per reader thread; SQLite's WAL lets
// readers run while the writer commits.
#include <filesystem>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "store/database.hpp"

struct sqlite3;

namespace herald::store::sqlite {

class Statements;

class SqliteDatabase final : public Database {
 public:
  // Opens (creating if needed) the database file and applies migrations.
  explicit SqliteDatabase(const std::filesystem::path& file);
  ~SqliteDatabase() override;

  void begin() override;
  void commit() override;
  void rollback() override;
  void savepoint() override;
  void release_savepoint() override;
  void rollback_to_savepoint() override;

  std::vector<UserRecord> load_users() override;
  std::optional<UserRecord> get_user(UserId id) override;
  UserRecord ensure_user(UserId id, const std::string& username, std::int64_t now_ms) override;
  void set_last_seen(UserId id, std::int64_t when_ms) override;

  std::optional<UserRecord> create_account(const std::string& username,
                                           const std::string& password_hash,
                                           const std::string& email, std::int64_t now_ms) override;
  std::optional<AccountRecord> find_account(const std::string& username) override;

  void store_refresh_token(const std::string& jti, UserId user, std::int64_t expires_at) override;
  std::optional<UserId> consume_refresh_token(const std::string& jti, std::int64_t now) override;

  ChatInsertResult insert_chat(const ChatInsert& chat) override;
  Seq last_seq(UserId user) override;

 private:
  Seq next_seq(UserId user);
  void migrate();
  void run(const char* sql);  // a cached statement with no parameters or rows

  sqlite3* db_ = nullptr;
  std::unique_ptr<Statements> statements_;
  // Latest mailbox seq per user, as this connection's transaction sees it:
  // the writer allocates seqs here instead of updating a counter row per
  // message. Filled from the mailbox on first use; cleared on any rollback,
  // so it never runs ahead of (or behind) what is stored.
  std::unordered_map<std::int64_t, std::int64_t> seq_cache_;
};

}  // namespace herald::store::sqlite
