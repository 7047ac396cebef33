#pragma once
// The storage seam. Database is a synchronous interface: its methods run
// only on storage threads (StorageRunner), never on a worker, so they may
// block on disk. SQLite implements it today (store/sqlite); PostgreSQL will
// implement the same interface for clusters. Nothing here knows JSON frames.
//
// Every query is parameterised; no method builds SQL from user input.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "util/ids.hpp"

namespace herald::store {

struct UserRecord {
  UserId id{};
  std::string username;
  std::int64_t created_at_ms = 0;
  std::optional<std::int64_t> last_seen_ms;
  std::int64_t followers_count = 0;
  std::int64_t following_count = 0;
  // Latest seq of the folded mailbox: exact when the database has just been
  // opened (a leftover chat log is folded then, and start-up is where
  // UserDirectory loads it); afterwards UserDirectory holds the live value,
  // and Database::last_seq() the stored one.
  Seq last_seq{};
  // The mailbox seq when the user's last connection closed: a connection
  // without `since` replays what came after it (the offline queue, 4.3).
  Seq mailbox_mark{};
};

struct AccountRecord {
  UserId id{};
  std::string username;
  std::string password_hash;
};

struct ChatInsert {
  UserId from{};
  UserId to{};
  std::string text;
  std::optional<std::string> client_msg_id;
  std::int64_t created_at_ms = 0;
};

struct ChatInsertResult {
  MessageId id{};
  Seq sender_seq{};
  Seq recipient_seq{};
  std::int64_t created_at_ms = 0;
  bool duplicate = false;  // client_msg_id seen before: the first message's values
};

// One event of a user's mailbox (PROTOCOL.md 4.3) as a replay reads it.
struct MailboxChat {
  MessageId id{};
  UserId from{};
  UserId to{};
  std::string text;
  std::int64_t created_at_ms = 0;
};
struct MailboxNotification {
  std::int64_t id = 0;
  std::string type;
  std::string title;
  std::string message;
  std::string data_json;  // a JSON object, as stored
  std::optional<std::string> link;
  bool read = false;
  std::int64_t created_at_ms = 0;
};
struct MailboxEvent {
  Seq seq{};
  std::variant<MailboxChat, MailboxNotification> body;
};
struct MailboxPage {
  std::vector<MailboxEvent> events;  // by seq, each seq once
  // Events after the requested seq fell outside the retention window.
  bool resync = false;
};
// How far back a replay reaches (`retention_events`, `retention_days`).
struct MailboxRetention {
  std::int64_t max_events = 10000;
  std::int64_t min_created_at_ms = 0;  // older events are not replayed
};

// ---- Chat history (PROTOCOL.md 6.5) -------------------------------------
// One chat as a history reader sees it: the `chat` event's fields, plus the
// reader's own mailbox seq for it (sender_seq when the reader sent it,
// else recipient_seq).
struct HistoryMessage {
  MessageId id{};
  UserId from{};
  UserId to{};
  std::string text;
  std::int64_t created_at_ms = 0;
  Seq seq{};
};
// A page of one conversation, newest first.
struct ConversationPage {
  std::vector<HistoryMessage> messages;
  bool more = false;  // older messages remain (the cursor is the last id)
  // As of this read: the conversation's newest message id, how many
  // messages the reader has received from the partner in all, and how many
  // of them the stored read state covers. mark_conversation_read(newest,
  // received) marks it all read; nothing to do when read == received.
  MessageId newest{};
  std::int64_t received = 0;
  std::int64_t read = 0;
};
// One row of a user's conversation list.
struct ConversationSummary {
  UserId partner{};
  HistoryMessage last;      // the newest message, either direction
  std::int64_t unread = 0;  // messages from the partner not read yet
};
struct ConversationList {
  std::vector<ConversationSummary> conversations;  // newest last message first
  bool more = false;  // the cursor is the last row's last message id
};
// ---- end of chat history ---------------------------------------------------

enum class RefreshRotation {
  rotated,  // the next token is stored; the presented one is used up
  reused,   // the presented token had been rotated before: its family is revoked
  unknown,  // no such token for this user (revoked, expired or never issued)
};

// ---- Notifications and social actions (PROTOCOL.md 6.3, 6.4) -------------

// Ids of the social rows, strong like util/ids.hpp's (kept here, beside
// their only producer, so adding them rebuilt no more than the storage seam).
enum class NotificationId : std::int64_t {};
enum class PostId : std::int64_t {};
enum class CommentId : std::int64_t {};
constexpr std::int64_t raw(NotificationId id) { return static_cast<std::int64_t>(id); }
constexpr std::int64_t raw(PostId id) { return static_cast<std::int64_t>(id); }
constexpr std::int64_t raw(CommentId id) { return static_cast<std::int64_t>(id); }

// What a notification says; the same for every recipient of one publish.
struct NotificationContent {
  std::string type;
  std::string title;
  std::string message;
  std::string data_json = "{}";  // a JSON object's text, stored as given
  std::optional<std::string> link;
};

struct NotificationRecord {
  NotificationId id{};
  UserId user{};  // the recipient
  Seq seq{};      // in the recipient's mailbox
  NotificationContent content;
  bool read = false;
  std::int64_t created_at_ms = 0;
};

enum class MarkRead { marked, already_read, not_found };

// A page of a list that is ordered by id descending (PROTOCOL.md 6): the
// caller asks for limit + 1 rows to learn whether more remain.
struct PageRequest {
  std::int64_t limit = 20;
  std::optional<std::int64_t> before;  // exclusive
};

struct FollowEntry {
  UserId user{};  // the follower (followers list) or the followee (following)
  std::string username;
  std::int64_t followed_at_ms = 0;
};

struct PostRecord {
  PostId id{};
  UserId author{};
  std::string content;
  std::int64_t created_at_ms = 0;
  std::int64_t likes_count = 0;
  std::int64_t comments_count = 0;
};

struct CommentRecord {
  CommentId id{};
  PostId post{};
  UserId author{};
  std::optional<CommentId> parent;
  std::string content;
  std::int64_t created_at_ms = 0;
};

// Social actions that notify at most once per (subject, actor), ever.
enum class OnceKind : std::int64_t { follow = 1, like = 2 };

// Thrown by a Database on a storage failure (I/O error, corruption, busy
// beyond the timeout). Callers turn it into MESSAGE_PROCESSING_ERROR or 503.
class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Another writer's transaction conflicted with this one (PostgreSQL: a
// deadlock between two nodes' batches, each holding seq locks the other
// wants). Nothing of the batch is wrong: the StorageRunner rolls the whole
// batch back, which releases its locks, and runs it again.
class ConflictError : public StorageError {
 public:
  using StorageError::StorageError;
};

class Database {
 public:
  virtual ~Database() = default;

  // Transactions, used by the StorageRunner's group commit.
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;
  virtual void savepoint() = 0;
  virtual void release_savepoint() = 0;
  virtual void rollback_to_savepoint() = 0;
  // Background upkeep on its own connection, called every half second by
  // the StorageRunner's maintenance thread so the writer never pays for it
  // (SQLite: a PASSIVE checkpoint moving WAL pages into the database file,
  // with the fsyncs it needs). Must not block the writer. Returns true to
  // be called again soon (SQLite: the writer's own checkpoint is near,
  // and each pass now leaves it less to do).
  virtual bool maintain() { return false; }
  // Upkeep the writer does after a group commit's completions have run,
  // so no ack waits for it, only the next batch (SQLite: the checkpoint
  // that lets main's WAL start over, every 64 MiB).
  virtual void after_batch() {}
  // Background reorganisation on its own connection, called by the
  // StorageRunner's fold thread, which runs at background priority (SQLite:
  // folding the chat log into the archive). Must not block the writer.
  // Returns true when it did work and more may be waiting (call again at
  // once); false when there was nothing worth doing yet.
  virtual bool compact() { return false; }
  // The most write jobs the writer puts in one group commit. Every ack of a
  // batch waits for its commit, so a store whose jobs each take a round
  // trip (PostgreSQL) keeps batches shorter than one whose jobs are local
  // calls (SQLite).
  virtual std::size_t max_batch() const { return 4096; }

  // Users.
  virtual std::vector<UserRecord> load_users() = 0;
  virtual std::optional<UserRecord> get_user(UserId id) = 0;
  // Creates the record of a user first seen in a valid token; keeps an
  // existing one (and its name) untouched. Returns the stored record.
  virtual UserRecord ensure_user(UserId id, const std::string& username, std::int64_t now_ms) = 0;
  // The write half of ensure_user, for callers that need no record back
  // (a connection's first sight of its user: the directory already has it).
  virtual void add_user_if_absent(UserId id, const std::string& username, std::int64_t now_ms) = 0;
  virtual void set_last_seen(UserId id, std::int64_t when_ms) = 0;

  // Accounts. create_account returns nullopt when the name is taken
  // (case-insensitively).
  virtual std::optional<UserRecord> create_account(const std::string& username,
                                                   const std::string& password_hash,
                                                   const std::string& email,
                                                   std::int64_t now_ms) = 0;
  virtual std::optional<AccountRecord> find_account(const std::string& username) = 0;

  // Refresh tokens, in families: a login starts one (named by its first
  // token's jti), and each rotation adds the next token to it. A rotated
  // token is kept, marked used, until it expires: presented again, it was
  // copied, and the whole family is revoked (the thief's and the owner's
  // newer tokens alike; the owner logs in again). Storing a token also
  // removes a few expired ones, so the table holds about the live tokens.
  virtual void store_refresh_token(const std::string& jti, UserId user, std::int64_t expires_at,
                                   const std::string& family, std::int64_t now) = 0;
  // In one job: checks `jti` (owned by `user`, unexpired, never used), marks
  // it used and stores `next_jti` in its family. A used one revokes its family.
  virtual RefreshRotation rotate_refresh_token(const std::string& jti, UserId user,
                                               const std::string& next_jti,
                                               std::int64_t next_expires_at, std::int64_t now) = 0;

  // Chat: stores the message and appends it to both mailboxes, or returns
  // the first message when (from, client_msg_id) was seen before.
  virtual ChatInsertResult insert_chat(const ChatInsert& chat) = 0;
  virtual Seq last_seq(UserId user) = 0;

  // Mailbox (PROTOCOL.md 4.3). Every event of `user`'s mailbox with seq >
  // `after`, in seq order, within `retention` (the newest max_events,
  // none older than min_created_at_ms). Sees every event committed before
  // the call, chats still in a write-optimised log included: an event whose
  // delivery was published before a replay's read began is in the replay.
  virtual MailboxPage read_mailbox(UserId user, Seq after, const MailboxRetention& retention) = 0;
  // The user's seq when their last connection closed (the offline queue's
  // start). Kept only if higher than the stored one.
  virtual void set_mailbox_mark(UserId user, Seq mark) = 0;

  // Every (follower, followee) edge, for the in-memory follow graph at start.
  virtual std::vector<std::pair<UserId, UserId>> load_follows() = 0;
  // ---- Notifications and social actions (PROTOCOL.md 6.3, 6.4) -----------
  // Writers run inside one write job each: an action and the notifications
  // it raises commit together or not at all.

  // One row per recipient, each with the recipient's next mailbox seq.
  virtual std::vector<NotificationRecord> insert_notifications(const std::vector<UserId>& users,
                                                               const NotificationContent& content,
                                                               std::int64_t now_ms) = 0;
  // Newest first, `page.limit` rows at most.
  virtual std::vector<NotificationRecord> list_notifications(UserId user, const PageRequest& page,
                                                             bool unread_only) = 0;
  virtual std::int64_t unread_count(UserId user) = 0;
  // Every user with unread notifications and how many (start-up).
  virtual std::vector<std::pair<UserId, std::int64_t>> unread_counts() = 0;
  // A notification of another user is not_found.
  virtual MarkRead mark_notification_read(UserId user, NotificationId id) = 0;
  // How many were unread.
  virtual std::int64_t mark_all_notifications_read(UserId user) = 0;

  // True the first time (kind, subject, actor) is noted, false ever after.
  virtual bool note_once(OnceKind kind, std::int64_t subject, UserId actor) = 0;
  // True when the edge is new (false: it was there already).
  virtual bool follow(UserId follower, UserId followee, std::int64_t now_ms) = 0;
  virtual bool unfollow(UserId follower, UserId followee) = 0;
  // Ordered by the listed user's id, descending; `before` is a user id.
  virtual std::vector<FollowEntry> list_followers(UserId user, const PageRequest& page) = 0;
  virtual std::vector<FollowEntry> list_following(UserId user, const PageRequest& page) = 0;

  virtual PostRecord create_post(UserId author, const std::string& content, std::int64_t now_ms) = 0;
  virtual std::optional<PostRecord> get_post(PostId id) = 0;
  // True when the like is new / was there.
  virtual bool like_post(PostId post, UserId user, std::int64_t now_ms) = 0;
  virtual bool unlike_post(PostId post, UserId user) = 0;
  virtual CommentRecord add_comment(PostId post, UserId author, std::optional<CommentId> parent,
                                    const std::string& content, std::int64_t now_ms) = 0;
  virtual std::optional<CommentRecord> get_comment(CommentId id) = 0;
  // Oldest last (newest first, as every list), `before` a comment id.
  virtual std::vector<CommentRecord> list_comments(PostId post, const PageRequest& page) = 0;
  // Registered accounts among `names_lc` (lower-case), as (id, stored name).
  virtual std::vector<std::pair<UserId, std::string>> find_registered(
      const std::vector<std::string>& names_lc) = 0;
  // ---- Chat history (PROTOCOL.md 6.5) -------------------------------------
  // Like read_mailbox, these see every chat committed before the call, in
  // the log or the archive, each once.
  //
  // The conversation between `user` and `partner`, newest first: at most
  // `limit` messages with ids below `before` (exclusive).
  virtual ConversationPage read_conversation(UserId user, UserId partner, MessageId before,
                                             std::size_t limit) = 0;
  // One row per partner of `user`, by their last message, newest first: at
  // most `limit` rows whose last message id is below `before`.
  virtual ConversationList list_conversations(UserId user, MessageId before, std::size_t limit) = 0;
  // A write job: `user` has read every message from `partner` up to
  // `upto`, `received` of them in all (ConversationPage's newest and
  // received). Kept only if newer than the stored read state.
  virtual void mark_conversation_read(UserId user, UserId partner, MessageId upto,
                                      std::int64_t received) = 0;
  // ---- end of chat history ---------------------------------------------------
};

}  // namespace herald::store
