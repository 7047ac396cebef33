#pragma once
// Database over one SQLite connection in WAL mode to two files: the main
// file, and its archive attached as schema `archive` (schema.hpp says why).
// A StorageRunner opens one for its writer thread, one per reader thread,
// one for maintenance and one for the fold; SQLite's WAL lets readers run
// while the writer and the fold commit.
#include <filesystem>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "store/database.hpp"
#include "store/sqlite/archive_runs.hpp"
#include "store/sqlite/pending_chat_ids.hpp"

struct sqlite3;

namespace herald::store::sqlite {

class Statements;

// How far a commit is durable (`storage.synchronous`, SECURITY.md):
// `normal` (WAL, synchronous=NORMAL) survives a process crash but may lose
// the last commits on power loss; `full` fsyncs the WAL at every commit
// and survives both, at the cost measured in docs/BENCHMARKS.md.
enum class Durability { normal, full };

class SqliteDatabase final : public Database {
 public:
  // Opens (creating if needed) the database file and applies migrations.
  explicit SqliteDatabase(const std::filesystem::path& file, Durability durability = Durability::normal);
  // What SQLite reports for this connection (PRAGMA synchronous).
  Durability durability();
  // Where the archive of a main file lives: next to it, "<stem>-archive<ext>".
  static std::filesystem::path archive_file(const std::filesystem::path& main_file);
  ~SqliteDatabase() override;

  void begin() override;
  void commit() override;
  void rollback() override;
  void savepoint() override;
  void release_savepoint() override;
  void rollback_to_savepoint() override;
  bool maintain() override;
  void after_batch() override;
  bool compact() override;

  std::vector<UserRecord> load_users() override;
  std::optional<UserRecord> get_user(UserId id) override;
  UserRecord ensure_user(UserId id, const std::string& username, std::int64_t now_ms) override;
  void add_user_if_absent(UserId id, const std::string& username, std::int64_t now_ms) override;
  void set_last_seen(UserId id, std::int64_t when_ms) override;

  std::optional<UserRecord> create_account(const std::string& username,
                                           const std::string& password_hash,
                                           const std::string& email, std::int64_t now_ms) override;
  std::optional<AccountRecord> find_account(const std::string& username) override;

  void store_refresh_token(const std::string& jti, UserId user, std::int64_t expires_at,
                           const std::string& family, std::int64_t now) override;
  RefreshRotation rotate_refresh_token(const std::string& jti, UserId user,
                                       const std::string& next_jti, std::int64_t next_expires_at,
                                       std::int64_t now) override;

  ChatInsertResult insert_chat(const ChatInsert& chat) override;
  Seq last_seq(UserId user) override;
  MailboxPage read_mailbox(UserId user, Seq after, const MailboxRetention& retention) override;
  void set_mailbox_mark(UserId user, Seq mark) override;
  std::vector<std::pair<UserId, UserId>> load_follows() override;

  // ---- Notifications and social actions (PROTOCOL.md 6.3, 6.4) -----------
  // sqlite_notifications.cpp
  std::vector<NotificationRecord> insert_notifications(const std::vector<UserId>& users,
                                                       const NotificationContent& content,
                                                       std::int64_t now_ms) override;
  std::vector<NotificationRecord> list_notifications(UserId user, const PageRequest& page,
                                                     bool unread_only) override;
  std::int64_t unread_count(UserId user) override;
  std::vector<std::pair<UserId, std::int64_t>> unread_counts() override;
  MarkRead mark_notification_read(UserId user, NotificationId id) override;
  std::int64_t mark_all_notifications_read(UserId user) override;
  // sqlite_social.cpp
  bool note_once(OnceKind kind, std::int64_t subject, UserId actor) override;
  bool follow(UserId follower, UserId followee, std::int64_t now_ms) override;
  bool unfollow(UserId follower, UserId followee) override;
  std::vector<FollowEntry> list_followers(UserId user, const PageRequest& page) override;
  std::vector<FollowEntry> list_following(UserId user, const PageRequest& page) override;
  PostRecord create_post(UserId author, const std::string& content, std::int64_t now_ms) override;
  std::optional<PostRecord> get_post(PostId id) override;
  bool like_post(PostId post, UserId user, std::int64_t now_ms) override;
  bool unlike_post(PostId post, UserId user) override;
  CommentRecord add_comment(PostId post, UserId author, std::optional<CommentId> parent,
                            const std::string& content, std::int64_t now_ms) override;
  std::optional<CommentRecord> get_comment(CommentId id) override;
  std::vector<CommentRecord> list_comments(PostId post, const PageRequest& page) override;
  std::vector<std::pair<UserId, std::string>> find_registered(
      const std::vector<std::string>& names_lc) override;

  // ---- Chat history (sqlite_history.cpp) ----------------------------------
  ConversationPage read_conversation(UserId user, UserId partner, MessageId before,
                                     std::size_t limit) override;
  ConversationList list_conversations(UserId user, MessageId before, std::size_t limit) override;
  void mark_conversation_read(UserId user, UserId partner, MessageId upto,
                              std::int64_t received) override;
  // ---- end of chat history ---------------------------------------------------

 private:
  // Chats are packed, a group commit's worth at a time, into one row of
  // main.chat_blocks (chat_block.hpp): one B-tree insert per commit. The
  // log has no secondary index. compact() (sqlite_fold.cpp), on the fold's
  // own connection and thread, moves them into archive.messages and the
  // archive's mailbox and conversation runs (archive_runs.hpp) in sorted
  // passes of at least kFoldRows, so each hot page is written once per
  // fold (docs/PERFORMANCE.md). The writer then deletes the blocks whose
  // every chat is folded, a few per commit (release_folded_log).
  //
  // Readers of chats or mailboxes read both places. Order matters: a
  // reader reads the log before the archive, and the writer deletes a
  // block only after the archive committed all of it, so no chat is ever
  // missing from both; one seen in both is the same chat (dedupe by id).
  static constexpr std::int64_t kFoldRows = 16384;
  // Per fold transaction, about 100 ms of CPU.
  static constexpr std::int64_t kMaxFoldRows = kFoldRows;
  // Folded chats leave the log a few blocks per commit, this many chats'
  // worth (at least one block): an eighth of a fold, so the log is
  // released well before the next fold ends even at one chat per commit.
  static constexpr std::int64_t kReleaseRows = kFoldRows / 8;

  // The writer's view of the log, rebuilt from the tables after a failed
  // transaction (forget()) so it never disagrees with what is stored. Ids
  // are contiguous: the log holds [first_log_id, next_message_id).
  struct ChatWriteState {
    bool loaded = false;
    std::int64_t next_message_id = 0;
    std::int64_t archived_upto = 0;  // newest id in the archive, as last read
    // (first_id, last_id) of each stored block, oldest first.
    std::deque<std::pair<std::int64_t, std::int64_t>> blocks;
    // This transaction's chats, packed; stored as one block at commit.
    std::string block;
    std::int64_t block_first_id = 0;
    // Latest mailbox seq per user, as this transaction sees it: seqs are
    // allocated here, not by updating a counter row per message.
    boost::unordered_flat_map<std::int64_t, std::int64_t> last_seq;
    // (user, seq before) for every seq this transaction allocated, so a
    // job rolled back to its savepoint gives its seqs back.
    std::vector<std::pair<std::int64_t, std::int64_t>> seq_undo;
    // Idempotency keys of the chats still in the log (the archive's unique
    // index answers for the others).
    PendingChatIds pending;
    std::int64_t first_log_id() const {
      if (!blocks.empty()) return blocks.front().first;
      return block.empty() ? next_message_id : block_first_id;
    }
    std::int64_t unfolded_rows() const { return next_message_id - 1 - archived_upto; }
    void forget() { *this = {}; }
  };
  // Where the running job began, to undo its chats alone (savepoint()).
  // The SQL savepoint is opened only once the job writes SQL: a chat job
  // writes nothing but the in-memory block.
  struct JobMark {
    bool active = false;
    bool sql_savepoint = false;
    bool chat_state_loaded = false;
    std::size_t block_bytes = 0;
    std::int64_t next_message_id = 0;
    std::size_t seq_undo = 0;
  };

  // Allocates the user's next mailbox seq in the writer's transaction
  // (chats and notifications share the counter; PROTOCOL.md 4.3).
  Seq next_seq(UserId user);
  std::int64_t last_notification_seq(std::int64_t user);
  std::int64_t stored_last_seq(std::int64_t user);
  void load_chat_state();
  void note_stored_block(std::string_view records, std::int64_t first_id, std::int64_t last_id);
  std::int64_t archived_upto();
  std::int64_t newest_log_id();
  void write_block();
  std::vector<std::string> read_log_blocks(std::int64_t after, std::int64_t upto);
  void fold_blocks(const std::vector<std::string>& blocks, std::int64_t after, std::int64_t upto);
  void insert_runs(std::vector<MailboxEntry>& mailbox, std::vector<ConversationEntry>& conversations);
  void release_folded_log();
  bool fold_chat_log();  // compact()'s share for chats
  // The notifications' fold (sqlite_notification_fold.cpp): true when it
  // folded; `everything` folds whatever is unfolded, however little.
  bool fold_notifications(bool everything);
  // The newest seq of each user in the unfolded notification batches.
  boost::unordered_flat_map<std::int64_t, std::int64_t> unfolded_notification_seqs();
  class ReadScope;  // sqlite_notifications.cpp
  void keep_pace_with_fold();  // begin(): fold_pace.hpp
  void wait_for_fold();
  void fold_leftovers();
  void fold_legacy_chat_log();
  void undo_job_chats();
  void open_job_savepoint();  // before a job's first SQL write
  std::optional<ChatInsertResult> find_duplicate(const ChatInsert& chat);
  void attach_archive(const std::filesystem::path& file);
  void migrate();
  void move_chats_to_archive();
  bool in_transaction() const;
  void run(const char* sql);  // a cached statement with no parameters or rows
  std::int64_t scalar(const char* sql);  // ... with no parameters and one integer

  // ---- Chat history (sqlite_history.cpp) ----------------------------------
  // A reader's copy of the chat log, brought up to date at each history
  // read: stored blocks never change, new ones come at the end and released
  // ones leave at the front, so only those are read (HistoryLog).
  class HistoryLog;
  HistoryLog& history_log();
  std::shared_ptr<HistoryLog> history_log_;  // shared_ptr: HistoryLog is incomplete here
  // The fold's share: per (user, partner) the newest message id and how
  // many the user received (archive.partners), one upsert per pair and
  // side per fold, in key order.
  void upsert_partners(std::span<const ConversationEntry> sorted);
  // ---- end of chat history ---------------------------------------------------

  static int on_wal_commit(void* self, sqlite3* db, const char* schema, int frames);

  sqlite3* db_ = nullptr;
  int main_wal_frames_ = 0;  // main's WAL after this connection's last commit
  std::unique_ptr<Statements> statements_;
  ChatWriteState chat_;
  JobMark job_;
};

}  // namespace herald::store::sqlite
