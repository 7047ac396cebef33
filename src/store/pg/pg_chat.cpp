// PgDatabase: chats, the mailbox and chat history (pg_database.hpp), with
// the behaviour of SqliteDatabase's (sqlite_chat.cpp, sqlite_mailbox.cpp,
// sqlite_history.cpp), on the tables of pg_schema.hpp.
//
// Order, on which the reads below rely: a chat takes its two users' seqs
// (mailbox_heads, a row lock held to the commit) before it inserts its
// message, so every write that touches a user waits for the one before it
// to commit. Hence, per user, seqs are gapless in commit order, message ids
// rise with them, and a snapshot that sees a user's seq N sees every seq
// below N: a read bounded by the newest seq it saw is consistent without a
// transaction of its own.
//
// insert_chat is a write: like every locking write of PgDatabase it runs
// in the caller's transaction (the StorageRunner's job), which makes its
// statements one atomic change.
//
// A chat's body and client_msg_id are free text, stored escaped
// (pg_text.hpp) so that a NUL byte in them is kept: they go to
// herald_insert_chat already escaped, which then compares and stores the
// escaped client_msg_id (a bijection, so a repeat still matches), and
// every body read here is unescaped, as are the notification fields the
// mailbox replays.
#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <variant>

#include "store/pg/pg_database.hpp"
#include "store/pg/pg_text.hpp"

namespace herald::store::pg {

namespace {

constexpr std::int64_t kMailboxChat = 1;          // mailbox.kind: ref_id is a messages.id
constexpr std::int64_t kMailboxNotification = 2;  // mailbox.kind: ref_id is a notifications.id

// Free text as stored (pg_text.hpp); NULL stays NULL.
Param stored_text(const std::optional<std::string>& value) {
  return value ? Param(to_pg_text(*value)) : Param(std::nullopt);
}

// `limit` rows and one more, which tells whether more remain.
std::int64_t one_more(std::size_t limit) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max() - 1);
  return static_cast<std::int64_t>(std::min(limit, kMax)) + 1;
}

// ---- read_mailbox's rows ----

// The event of one row of the mailbox query below (columns from 1).
MailboxEvent event_of(const PgResult& r, int row) {
  const Seq seq{r.integer(row, 0)};
  const std::int64_t kind = r.integer(row, 1);
  if (kind == kMailboxChat) {
    if (r.is_null(row, 2)) throw StorageError("mailbox entry without its message");
    return MailboxEvent{seq,
                        MailboxChat{MessageId{r.integer(row, 2)}, UserId{r.integer(row, 3)},
                                    UserId{r.integer(row, 4)}, from_pg_text(r.text(row, 5)),
                                    r.integer(row, 6)}};
  }
  if (kind == kMailboxNotification) {
    if (r.is_null(row, 7)) throw StorageError("mailbox entry without its notification");
    MailboxNotification n;
    n.id = r.integer(row, 7);
    n.type = from_pg_text(r.text(row, 8));
    n.title = from_pg_text(r.text(row, 9));
    n.message = from_pg_text(r.text(row, 10));
    n.data_json = from_pg_text(r.text(row, 11));
    if (!r.is_null(row, 12)) n.link = from_pg_text(r.text(row, 12));
    n.read = r.text(row, 13) == "t";
    n.created_at_ms = r.integer(row, 14);
    return MailboxEvent{seq, std::move(n)};
  }
  throw StorageError("mailbox entry of unknown kind " + std::to_string(kind));
}

// ---- history's rows ----

// The message columns every history query selects, in this order.
constexpr const char* kHistoryColumns =
    "m.id, m.from_user_id, m.to_user_id, m.body, m.created_at, m.sender_seq, m.recipient_seq";

// A message as `reader` sees it (its own seq), from kHistoryColumns at
// `column`.
HistoryMessage history_message(const PgResult& r, int row, int column, UserId reader) {
  HistoryMessage h;
  h.id = MessageId{r.integer(row, column)};
  h.from = UserId{r.integer(row, column + 1)};
  h.to = UserId{r.integer(row, column + 2)};
  h.text = from_pg_text(r.text(row, column + 3));
  h.created_at_ms = r.integer(row, column + 4);
  h.seq = Seq{h.from == reader ? r.integer(row, column + 5) : r.integer(row, column + 6)};
  return h;
}

}  // namespace

// ---- chats ----

// A repeat of (from, client_msg_id) is answered before any lock: it takes
// no seq. Otherwise the two users' seqs are taken, the smaller user id
// first, so two nodes' writers storing chats of one pair lock in one order
// and cannot deadlock on it. A repeat that committed on another node while
// this one waited for the lock makes the insert store nothing; its seqs are
// then given back and the first message answered.
//
// The order holds within a chat, not across the jobs of one group commit
// (each job locks when it runs): two nodes' batches can still meet in a
// cycle over different pairs. PostgreSQL then fails one statement after
// deadlock_timeout, and only that job fails (the runner rolls back to its
// savepoint, which releases its locks); the rest of both batches commit.
// One round trip: herald_insert_chat (pg_schema.hpp, migration 2), on the
// server: a repeated (from, client_msg_id) answers the first message and
// takes no seq; else both users' seqs, smaller user id first (two nodes'
// chats between the same users cannot deadlock), then the message, both
// mailbox rows and both partners rows (each side's newest id, never
// lowered; one more received for the recipient; a chat to oneself is one
// row received once, as SQLite's fold counts it). A repeat committed on
// another node while this one waited for a lock gives the seqs back.
ChatInsertResult PgDatabase::insert_chat(const ChatInsert& chat) {
  auto r = db_.exec("SELECT id, sender_seq, recipient_seq, created_at, duplicate"
                    " FROM herald_insert_chat($1, $2, $3, $4, $5)",
                    {raw(chat.from), raw(chat.to), to_pg_text(chat.text), stored_text(chat.client_msg_id),
                     chat.created_at_ms});
  if (r.rows() == 0) throw StorageError("insert_chat: a repeated client_msg_id without its first message");
  return ChatInsertResult{MessageId{r.integer(0, 0)}, Seq{r.integer(0, 1)}, Seq{r.integer(0, 2)},
                          r.integer(0, 3), r.text(0, 4) == "t"};
}

// The allocator's value: in the writer's own transaction its uncommitted
// seqs too, as SQLite's writer answers from its open transaction.
Seq PgDatabase::last_seq(UserId user) {
  auto r = db_.exec("SELECT last_seq FROM mailbox_heads WHERE user_id = $1", {raw(user)});
  return Seq{r.rows() == 0 ? 0 : r.integer(0, 0)};
}

// ---- the mailbox (PROTOCOL.md 4.3) ----

// Two statements: the newest seq, then the window's events up to it. Seqs
// commit in order (the top of this file), so the second sees every event
// the first counted, and anything newer is left to the live path, as a
// replay's snapshot would. The window and the resync flag follow SQLite:
// the newest max_events seqs; resync when `after` falls before them or
// past the newest, or when an event is older than min_created_at_ms (it is
// left out).
MailboxPage PgDatabase::read_mailbox(UserId user, Seq after, const MailboxRetention& retention) {
  MailboxPage page;
  auto newest =
      db_.exec("SELECT coalesce(max(seq), 0) FROM mailbox WHERE user_id = $1", {raw(user)});
  const std::int64_t latest = newest.integer(0, 0);
  const std::int64_t from = std::max(raw(after), latest - retention.max_events);
  if (raw(after) > latest || from > raw(after)) page.resync = true;
  if (from >= latest) return page;

  auto r = db_.exec(
      "SELECT b.seq, b.kind,"
      " m.id, m.from_user_id, m.to_user_id, m.body, m.created_at,"
      " n.id, n.type, n.title, n.message, n.data, n.link, n.read, n.created_at"
      " FROM mailbox b"
      " LEFT JOIN messages m ON b.kind = $4 AND m.id = b.ref_id"
      " LEFT JOIN notifications n ON b.kind = $5 AND n.id = b.ref_id"
      " WHERE b.user_id = $1 AND b.seq > $2 AND b.seq <= $3"
      " ORDER BY b.seq",
      {raw(user), from, latest, kMailboxChat, kMailboxNotification});
  page.events.reserve(static_cast<std::size_t>(r.rows()));
  for (int row = 0; row < r.rows(); ++row) {
    MailboxEvent event = event_of(r, row);
    const std::int64_t created =
        std::visit([](const auto& b) { return b.created_at_ms; }, event.body);
    if (created < retention.min_created_at_ms) {
      page.resync = true;  // too old to replay
      continue;
    }
    page.events.push_back(std::move(event));
  }
  return page;
}

void PgDatabase::set_mailbox_mark(UserId user, Seq mark) {
  db_.exec("UPDATE users SET mailbox_mark = $2 WHERE id = $1 AND mailbox_mark < $2",
           {raw(user), raw(mark)});
}

// ---- chat history (PROTOCOL.md 6.5) ----

// The pair's newest id and received count (partners: one row, written
// with each chat, so the two agree) and the reader's read count; then a
// page by the messages_pair index (its expressions written as the index
// has them), newest first. In that order: a chat committed between the two
// may be on the page but is not in newest/received, so marking read with
// them leaves it unread rather than marking a chat never counted.
ConversationPage PgDatabase::read_conversation(UserId user, UserId partner, MessageId before,
                                               std::size_t limit) {
  const std::int64_t lo = std::min(raw(user), raw(partner)), hi = std::max(raw(user), raw(partner));
  ConversationPage page;
  auto state = db_.exec(
      "SELECT coalesce(p.last_id, 0), coalesce(p.received, 0), coalesce(cr.read_count, 0)"
      " FROM (SELECT 1) one"
      " LEFT JOIN partners p ON p.user_id = $1 AND p.partner_id = $2"
      " LEFT JOIN conversation_reads cr ON cr.user_id = $1 AND cr.partner_id = $2",
      {raw(user), raw(partner)});
  page.newest = MessageId{state.integer(0, 0)};
  page.received = state.integer(0, 1);
  page.read = state.integer(0, 2);

  auto r = db_.exec(std::string("SELECT ") + kHistoryColumns +
                        " FROM messages m"
                        " WHERE least(m.from_user_id, m.to_user_id) = $1"
                        " AND greatest(m.from_user_id, m.to_user_id) = $2 AND m.id < $3"
                        " ORDER BY m.id DESC LIMIT $4",
                    {lo, hi, raw(before), one_more(limit)});
  for (int row = 0; row < r.rows(); ++row) {
    page.messages.push_back(history_message(r, row, 0, user));
  }
  page.more = page.messages.size() > limit;
  if (page.more) page.messages.resize(limit);
  return page;
}

// The user's partners rows (one range of its key, then sorted: O(partners),
// as SQLite's archive.partners), each with its last message; unread is what
// the partner sent less what the read state covers.
ConversationList PgDatabase::list_conversations(UserId user, MessageId before, std::size_t limit) {
  ConversationList list;
  auto r = db_.exec(std::string("SELECT p.partner_id,"
                                " greatest(0, p.received - coalesce(cr.read_count, 0)), ") +
                        kHistoryColumns +
                        " FROM partners p"
                        " JOIN messages m ON m.id = p.last_id"
                        " LEFT JOIN conversation_reads cr"
                        "   ON cr.user_id = p.user_id AND cr.partner_id = p.partner_id"
                        " WHERE p.user_id = $1 AND p.last_id < $2"
                        " ORDER BY p.last_id DESC LIMIT $3",
                    {raw(user), raw(before), one_more(limit)});
  for (int row = 0; row < r.rows(); ++row) {
    ConversationSummary s;
    s.partner = UserId{r.integer(row, 0)};
    s.unread = r.integer(row, 1);
    s.last = history_message(r, row, 2, user);
    list.conversations.push_back(std::move(s));
  }
  list.more = list.conversations.size() > limit;
  if (list.more) list.conversations.resize(limit);
  return list;
}

// Kept only if newer: an older read state (a slow request, another node)
// never replaces a newer one.
void PgDatabase::mark_conversation_read(UserId user, UserId partner, MessageId upto,
                                        std::int64_t received) {
  db_.exec(
      "INSERT INTO conversation_reads (user_id, partner_id, read_upto, read_count)"
      " VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, partner_id) DO UPDATE SET"
      " read_upto = excluded.read_upto, read_count = excluded.read_count"
      " WHERE excluded.read_upto > conversation_reads.read_upto",
      {raw(user), raw(partner), raw(upto), received});
}

}  // namespace herald::store::pg
