#pragma once
// Database over one SQLite connection in WAL mode. A StorageRunner opens
// one for its writer thread and one per reader thread; SQLite's WAL lets
// readers run while the writer commits.
#include <filesystem>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
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
  void maintain() override;

  std::vector<UserRecord> load_users() override;
  std::optional<UserRecord> get_user(UserId id) override;
  UserRecord ensure_user(UserId id, const std::string& username, std::int64_t now_ms) override;
  void add_user_if_absent(UserId id, const std::string& username, std::int64_t now_ms) override;
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
  // Chats are appended to chat_log, a table with no secondary index, so a
  // group commit dirties a page or two instead of one B-tree leaf per
  // mailbox, pair and sender. Once kFoldRows rows have gathered, commit()
  // folds the log into messages and mailbox in one sorted pass, so each
  // hot index page is written once per fold. (Chat profile: WAL bytes per
  // message fell from about 10 KB to about 1.4 KB; docs/BENCHMARKS.md.)
  // Readers of chats or mailboxes therefore read both places.
  static constexpr std::int64_t kFoldRows = 16384;

  // The writer's view of the unfolded log, rebuilt from the table after
  // any rollback (forget()) so it never disagrees with what is stored.
  struct ChatWriteState {
    bool loaded = false;
    std::int64_t next_message_id = 0;
    std::int64_t log_rows = 0;
    // Latest mailbox seq per user, as this transaction sees it: seqs are
    // allocated here, not by updating a counter row per message.
    std::unordered_map<std::int64_t, std::int64_t> last_seq;
    // client_msg_id -> stored result, for chats still in the log (the
    // messages table's unique index answers for folded ones).
    std::unordered_map<std::string, ChatInsertResult> pending_ids;
    void forget() { *this = {}; }
  };

  Seq next_seq(UserId user);
  void load_chat_state();
  void fold_chat_log();
  void fold_leftover_chat_log();
  std::optional<ChatInsertResult> find_duplicate(const ChatInsert& chat);
  void migrate();
  void run(const char* sql);  // a cached statement with no parameters or rows

  sqlite3* db_ = nullptr;
  std::unique_ptr<Statements> statements_;
  ChatWriteState chat_;
};

}  // namespace herald::store::sqlite
