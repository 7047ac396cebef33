#pragma once
// store::Database on PostgreSQL (docs/CLUSTER.md, "PostgreSQL: storage"):
// the storage of a cluster whose nodes share one database, with the
// semantics of SqliteDatabase (database.hpp is the contract; the same
// behaviour tests run against both).
//
// One PgDatabase per storage thread, each with its own connection, as with
// SQLite. The StorageRunner's writer group-commits on it: begin(), one
// savepoint per job, commit(). Every statement passes its parameters apart
// from the SQL text (PgConnection). Writers on several nodes at once are
// safe: mailbox seqs come from row locks on mailbox_heads (pg_schema.hpp),
// a repeated client_msg_id from the unique index, account ids from an
// advisory lock.
//
// The methods are split by subject: pg_database.cpp (open, migrations,
// transactions, users, accounts, tokens), pg_chat.cpp (chats, mailbox,
// history), pg_social.cpp (notifications, follows, posts, likes,
// comments).
#include <memory>
#include <string>

#include "store/database.hpp"
#include "store/pg/pg_connection.hpp"

namespace herald::store::pg {

class PgDatabase final : public Database {
 public:
  // Connects and brings the schema up to date; StorageError when the
  // server cannot be reached or a migration fails.
  explicit PgDatabase(const std::string& url);
  ~PgDatabase() override;

  void begin() override;
  void commit() override;
  void rollback() override;
  void savepoint() override;
  void release_savepoint() override;
  void rollback_to_savepoint() override;
  // A job is three round trips (savepoint, statement, release): 256 of
  // them keep a batch, and the acks waiting on it, near a tenth of a second.
  std::size_t max_batch() const override { return 256; }

  std::vector<UserRecord> load_users() override;
  std::optional<UserRecord> get_user(UserId id) override;
  UserRecord ensure_user(UserId id, const std::string& username, std::int64_t now_ms) override;
  void add_user_if_absent(UserId id, const std::string& username, std::int64_t now_ms) override;
  void set_last_seen(UserId id, std::int64_t when_ms) override;
  std::optional<UserRecord> create_account(const std::string& username, const std::string& password_hash,
                                           const std::string& email, std::int64_t now_ms) override;
  std::optional<AccountRecord> find_account(const std::string& username) override;
  void store_refresh_token(const std::string& jti, UserId user, std::int64_t expires_at,
                           const std::string& family, std::int64_t now) override;
  RefreshRotation rotate_refresh_token(const std::string& jti, UserId user, const std::string& next_jti,
                                       std::int64_t next_expires_at, std::int64_t now) override;

  // pg_chat.cpp
  ChatInsertResult insert_chat(const ChatInsert& chat) override;
  Seq last_seq(UserId user) override;
  MailboxPage read_mailbox(UserId user, Seq after, const MailboxRetention& retention) override;
  void set_mailbox_mark(UserId user, Seq mark) override;
  ConversationPage read_conversation(UserId user, UserId partner, MessageId before,
                                     std::size_t limit) override;
  ConversationList list_conversations(UserId user, MessageId before, std::size_t limit) override;
  void mark_conversation_read(UserId user, UserId partner, MessageId upto, std::int64_t received) override;

  // pg_social.cpp
  std::vector<std::pair<UserId, UserId>> load_follows() override;
  std::vector<NotificationRecord> insert_notifications(const std::vector<UserId>& users,
                                                       const NotificationContent& content,
                                                       std::int64_t now_ms) override;
  std::vector<NotificationRecord> list_notifications(UserId user, const PageRequest& page,
                                                     bool unread_only) override;
  std::int64_t unread_count(UserId user) override;
  std::vector<std::pair<UserId, std::int64_t>> unread_counts() override;
  MarkRead mark_notification_read(UserId user, NotificationId id) override;
  std::int64_t mark_all_notifications_read(UserId user) override;
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
  std::vector<std::pair<UserId, std::string>> find_registered(const std::vector<std::string>& names_lc) override;

 private:
  void migrate();
  // Takes `count` seqs of `user`'s mailbox (a row lock held to the commit);
  // returns the first. Shared by chats and notifications.
  Seq take_seqs(UserId user, std::int64_t count);

  PgConnection db_;
  int savepoints_ = 0;  // open savepoints (nested jobs are not used: 0 or 1)
};

}  // namespace herald::store::pg
