// SqliteDatabase, the fold: compact(), on the fold thread's own
// connection, copies the chat log's blocks into the archive in sorted
// passes (messages, and the packed mailbox and conversation runs of
// archive_runs.hpp); keep_pace_with_fold() is where a writer ahead of it
// gives it time (fold_pace.hpp); at open, fold_leftovers() folds whatever
// the last run left.
#include <algorithm>
#include <chrono>
#include <span>
#include <thread>
#include <tuple>

#include "store/sqlite/archive_runs.hpp"
#include "store/sqlite/chat_block.hpp"
#include "store/sqlite/fold_pace.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "store/sqlite/statement.hpp"

namespace herald::store::sqlite {

namespace {
constexpr std::int64_t kMailboxChat = 1;  // mailbox kind: ref_id is a message id

bool by_key(const MailboxEntry& a, const MailboxEntry& b) {
  return std::tie(a.user, a.seq) < std::tie(b.user, b.seq);
}
bool by_key(const ConversationEntry& a, const ConversationEntry& b) {
  return std::tie(a.user_lo, a.user_hi, a.message_id) < std::tie(b.user_lo, b.user_hi, b.message_id);
}
// Entries that belong to one run (archive_runs.hpp).
bool same_run(const MailboxEntry& a, const MailboxEntry& b) { return a.user == b.user; }
bool same_run(const ConversationEntry& a, const ConversationEntry& b) {
  return a.user_lo == b.user_lo && a.user_hi == b.user_hi;
}

// The fold gives up the core every so often (std::this_thread::yield):
// the kernel ends a thread's slice only at a tick (4 ms here), so a worker
// or the writer that became ready while the fold ran waited for the tick,
// while after a yield it runs at once. 64 rows, or the runs of about 512
// entries, are a few hundred microseconds of fold; the yields cost under
// 1% of it (none when nothing else wants the core).
constexpr std::int64_t kYieldEveryRows = 64;
constexpr std::size_t kYieldEveryEntries = 512;

// Calls insert() on consecutive slices of `sorted`, about
// kYieldEveryEntries each and ending where the key changes (so no run is
// cut in two), yielding after each.
template <class Entry, class Insert>
void insert_in_slices(const std::vector<Entry>& sorted, Insert insert) {
  std::span<const Entry> rest(sorted);
  while (!rest.empty()) {
    std::size_t end = std::min(rest.size(), kYieldEveryEntries);
    while (end < rest.size() && same_run(rest[end - 1], rest[end])) ++end;
    insert(rest.first(end));
    rest = rest.subspan(end);
    std::this_thread::yield();
  }
}
}  // namespace

// The records of the log blocks that hold chats with ids in (after, upto],
// copied out (a block's records, oldest first). Blocks never change once
// stored, and the writer deletes none of these before the archive has all
// of them, so the copy stays true after the read ends.
std::vector<std::string> SqliteDatabase::read_log_blocks(std::int64_t after, std::int64_t upto) {
  Statement& blocks = statements_->get(
      "SELECT records FROM main.chat_blocks WHERE last_id > ?1 AND first_id <= ?2"
      " ORDER BY last_id");
  blocks.bind(1, after).bind(2, upto);
  std::vector<std::string> records;
  while (blocks.step()) records.emplace_back(blocks.column_blob(0));
  return records;
}

// Copies the chats with ids in (after, upto] of `blocks` into the archive.
// Ids ascend with the blocks, so messages grows at its end; each user's new
// mailbox entries and each conversation's new ids become one run
// (archive_runs.hpp). Runs inside the caller's transaction, which writes
// only the archive.
void SqliteDatabase::fold_blocks(const std::vector<std::string>& blocks, std::int64_t after,
                                 std::int64_t upto) {
  Statement& message = statements_->get(
      "INSERT INTO archive.messages (id, from_user_id, to_user_id, body, client_msg_id,"
      " created_at, sender_seq, recipient_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  std::vector<MailboxEntry> mailbox;
  std::vector<ConversationEntry> conversations;
  std::size_t expected = static_cast<std::size_t>(std::max<std::int64_t>(0, upto - after));
  mailbox.reserve(2 * expected);
  conversations.reserve(expected);
  std::int64_t rows = 0;
  for (const std::string& block : blocks) {
    ChatBlockReader reader(block);
    ChatRecord r;
    while (reader.next(r)) {
      if (r.id <= after || r.id > upto) continue;
      message.reset()
          .bind(1, r.id)
          .bind(2, r.from)
          .bind(3, r.to)
          .bind(4, r.body)
          .bind(6, r.created_at)
          .bind(7, r.sender_seq)
          .bind(8, r.recipient_seq);
      if (r.client_msg_id) message.bind(5, *r.client_msg_id);
      message.run();
      mailbox.push_back({r.from, r.sender_seq, kMailboxChat, r.id, r.created_at});
      mailbox.push_back({r.to, r.recipient_seq, kMailboxChat, r.id, r.created_at});
      conversations.push_back({std::min(r.from, r.to), std::max(r.from, r.to), r.id, r.from < r.to});
      if (++rows % kYieldEveryRows == 0) std::this_thread::yield();
    }
  }
  insert_runs(mailbox, conversations);
}

// Sorts a fold's entries into key order and writes them as runs.
void SqliteDatabase::insert_runs(std::vector<MailboxEntry>& mailbox,
                                 std::vector<ConversationEntry>& conversations) {
  std::sort(mailbox.begin(), mailbox.end(), [](auto& a, auto& b) { return by_key(a, b); });
  std::sort(conversations.begin(), conversations.end(), [](auto& a, auto& b) { return by_key(a, b); });
  Statement& mailbox_run = statements_->get(
      "INSERT INTO archive.mailbox_runs (user_id, last_seq, first_seq, entries) VALUES (?1, ?2, ?3, ?4)");
  insert_in_slices(mailbox, [&](std::span<const MailboxEntry> slice) {
    insert_mailbox_runs(mailbox_run, slice);
  });
  Statement& conversation_run = statements_->get(
      "INSERT INTO archive.conversation_runs (user_lo, user_hi, last_id, first_id, ids)"
      " VALUES (?1, ?2, ?3, ?4, ?5)");
  insert_in_slices(conversations, [&](std::span<const ConversationEntry> slice) {
    insert_conversation_runs(conversation_run, slice);
  });
  upsert_partners(conversations);  // chat history's conversation list
}

bool SqliteDatabase::compact() {
  const bool chats = fold_chat_log();
  const bool notifications = fold_notifications(false);  // sqlite_notification_fold.cpp
  return chats || notifications;
}

bool SqliteDatabase::fold_chat_log() {
  // Two transactions. The first reads what to fold and copies its blocks
  // out of main; the second writes only the archive. A fold that read main
  // while writing (a hundred milliseconds and more) held a snapshot of main
  // all that time, so main's WAL could not start over and grew until the
  // writer checkpointed it inside a commit (docs/PERFORMANCE.md, chat tail).
  // Both are deferred: the reads take no lock, and the first insert takes
  // only the archive's write lock, never main's (the writer's).
  std::int64_t after = 0, upto = 0;
  std::vector<std::string> blocks;
  run("BEGIN");
  try {
    after = archived_upto();
    std::int64_t newest = newest_log_id();
    if (newest - after >= kFoldRows) {
      upto = std::min(newest, after + kMaxFoldRows);
      blocks = read_log_blocks(after, upto);
    }
    run("COMMIT");
  } catch (...) {
    rollback();
    throw;
  }
  if (blocks.empty()) return false;
  run("BEGIN");
  try {
    // The fold is the archive's only writer, so nothing moved meanwhile;
    // were it otherwise, folding again would break the archive's ids.
    if (archived_upto() == after) fold_blocks(blocks, after, upto);
    run("COMMIT");
    return true;
  } catch (...) {
    rollback();
    throw;
  }
}

// Before each batch: gives the fold time when it is behind (fold_pace.hpp).
void SqliteDatabase::keep_pace_with_fold() {
  switch (fold_pace(chat_.unfolded_rows(), kFoldRows)) {
    case FoldPace::go:
      return;
    case FoldPace::brake:
      std::this_thread::sleep_for(fold_brake(chat_.unfolded_rows(), kFoldRows));
      return;
    case FoldPace::wait:
      wait_for_fold();
      return;
  }
}

// Each read outside a transaction sees the archive's latest commit.
// Bounded, so a fold that keeps failing slows chats down but never stops
// them.
void SqliteDatabase::wait_for_fold() {
  constexpr auto kPatience = std::chrono::seconds(2);
  constexpr auto kPoll = std::chrono::milliseconds(1);
  auto deadline = std::chrono::steady_clock::now() + kPatience;
  do {
    std::this_thread::sleep_for(kPoll);
    chat_.archived_upto = archived_upto();
  } while (fold_pace(chat_.unfolded_rows(), kFoldRows) == FoldPace::wait &&
           std::chrono::steady_clock::now() < deadline);
}

// A log left by the last run (any size) is folded and released when the
// database opens, and so are unfolded notification batches, so start-up
// reads (load_users, unread_counts) find every chat and notification in
// the archive's indexes. Two transactions: the archive's, then main's.
void SqliteDatabase::fold_leftovers() {
  while (fold_notifications(true)) {
  }
  fold_legacy_chat_log();
  if (newest_log_id() == 0) return;
  run("BEGIN");
  try {
    std::int64_t after = archived_upto(), upto = newest_log_id();
    fold_blocks(read_log_blocks(after, upto), after, upto);
    run("COMMIT");
  } catch (...) {
    rollback();
    throw;
  }
  statements_->get("DELETE FROM main.chat_blocks WHERE last_id <= ?1").bind(1, archived_upto()).run();
  chat_.forget();
}

// Rows in chat_log, the one-row-per-chat log of schema versions 4 and
// earlier, that the archive lacks are folded into it; then the table is
// emptied for good.
void SqliteDatabase::fold_legacy_chat_log() {
  if (scalar("SELECT count(*) FROM (SELECT 1 FROM main.chat_log LIMIT 1)") == 0) return;
  run("BEGIN");
  try {
    std::int64_t after = archived_upto();
    statements_
        ->get("INSERT INTO archive.messages (id, from_user_id, to_user_id, body, client_msg_id,"
              " created_at, sender_seq, recipient_seq)"
              " SELECT id, from_user_id, to_user_id, body, client_msg_id, created_at, sender_seq,"
              " recipient_seq FROM main.chat_log WHERE id > ?1 ORDER BY id")
        .bind(1, after)
        .run();
    std::vector<MailboxEntry> mailbox;
    std::vector<ConversationEntry> conversations;
    Statement& rows = statements_->get(
        "SELECT id, from_user_id, to_user_id, created_at, sender_seq, recipient_seq"
        " FROM main.chat_log WHERE id > ?1");
    rows.bind(1, after);
    while (rows.step()) {
      std::int64_t id = rows.column_int(0), from = rows.column_int(1), to = rows.column_int(2);
      std::int64_t created_at = rows.column_int(3);
      mailbox.push_back({from, rows.column_int(4), kMailboxChat, id, created_at});
      mailbox.push_back({to, rows.column_int(5), kMailboxChat, id, created_at});
      conversations.push_back({std::min(from, to), std::max(from, to), id, from < to});
    }
    insert_runs(mailbox, conversations);
    run("COMMIT");
  } catch (...) {
    rollback();
    throw;
  }
  statements_->get("DELETE FROM main.chat_log").run();
}

}  // namespace herald::store::sqlite
