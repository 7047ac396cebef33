// SqliteDatabase, the writer's chat path: each transaction's chats packed
// into one main.chat_blocks row, mailbox seqs and idempotency answered
// from memory, wholly folded blocks released at commit (see ChatWriteState
// in sqlite_database.hpp). The fold itself is in sqlite_fold.cpp.
#include <sqlite3.h>

#include <algorithm>

#include "store/sqlite/chat_block.hpp"
#include "store/sqlite/notification_index.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "store/sqlite/statement.hpp"

namespace herald::store::sqlite {

// One integer from a cached statement with no parameters.
std::int64_t SqliteDatabase::scalar(const char* sql) {
  Statement& st = statements_->get(sql);
  st.step();
  std::int64_t value = st.column_int(0);
  st.reset();
  return value;
}

bool SqliteDatabase::in_transaction() const { return !sqlite3_get_autocommit(db_); }

std::int64_t SqliteDatabase::archived_upto() {
  return scalar("SELECT coalesce(max(id), 0) FROM archive.messages");
}

std::int64_t SqliteDatabase::newest_log_id() {
  return scalar("SELECT coalesce(max(last_id), 0) FROM main.chat_blocks");
}

// Adds one stored block's chats to the writer's caches.
void SqliteDatabase::note_stored_block(std::string_view records, std::int64_t first_id,
                                       std::int64_t last_id) {
  chat_.blocks.emplace_back(first_id, last_id);
  ChatBlockReader reader(records);
  ChatRecord r;
  while (reader.next(r)) {
    auto& from_seq = chat_.last_seq[r.from];
    from_seq = std::max(from_seq, r.sender_seq);
    auto& to_seq = chat_.last_seq[r.to];
    to_seq = std::max(to_seq, r.recipient_seq);
    if (!r.client_msg_id) continue;
    chat_.pending.add(r.from, *r.client_msg_id,
                      ChatInsertResult{MessageId{r.id}, Seq{r.sender_seq}, Seq{r.recipient_seq},
                                       r.created_at, true});
  }
}

void SqliteDatabase::load_chat_state() {
  chat_.forget();
  // The log first, then the archive: the order readers use too.
  Statement& blocks = statements_->get(
      "SELECT first_id, last_id, records FROM main.chat_blocks ORDER BY last_id");
  while (blocks.step()) {
    note_stored_block(blocks.column_blob(2), blocks.column_int(0), blocks.column_int(1));
  }
  chat_.archived_upto = archived_upto();
  std::int64_t newest = chat_.blocks.empty() ? 0 : chat_.blocks.back().second;
  chat_.next_message_id = std::max(newest, chat_.archived_upto) + 1;
  // Users with a chat in the log got their latest chat seq above, and
  // users with a notification not yet folded get theirs from one scan of
  // those batches. Either may have a later seq elsewhere: a notification in
  // the runs, or (for the second kind) a chat the fold has moved out of the
  // log, so each also asks the archive's runs (stored_last_seq: two index
  // seeks). For anyone else stored_last_seq answers later (next_seq).
  // Batches are never deleted, so one folded after this scan is in the runs.
  for (const auto& [user, seq] : unfolded_notification_seqs()) {
    auto& latest = chat_.last_seq[user];
    latest = std::max(latest, seq);
  }
  for (auto& [user, seq] : chat_.last_seq) seq = std::max(seq, stored_last_seq(user));
  chat_.loaded = true;
}

boost::unordered_flat_map<std::int64_t, std::int64_t> SqliteDatabase::unfolded_notification_seqs() {
  boost::unordered_flat_map<std::int64_t, std::int64_t> latest;
  NotificationIndex index(*statements_);
  index.for_each_batch_after(index.folded_upto(),
                             [&](std::int64_t first_id, std::int64_t, std::string_view recipients) {
                               for (const NotificationEntry& e : unpack_recipients(first_id, recipients)) {
                                 auto& seq = latest[e.user];
                                 seq = std::max(seq, e.seq);
                               }
                             });
  return latest;
}

// The user's newest notification seq in the runs (the unfolded batches are
// the caller's to scan).
std::int64_t SqliteDatabase::last_notification_seq(std::int64_t user) {
  return NotificationIndex(*statements_).last_folded_seq(user);
}

// The latest seq of a user with no chat in the log and no notification in
// the unfolded batches: the archive's mailbox and notification runs, by
// their keys.
std::int64_t SqliteDatabase::stored_last_seq(std::int64_t user) {
  Statement& st =
      statements_->get("SELECT coalesce(max(last_seq), 0) FROM archive.mailbox_runs WHERE user_id = ?1");
  st.bind(1, user);
  st.step();
  std::int64_t seq = st.column_int(0);
  st.reset();
  return std::max(seq, last_notification_seq(user));
}

Seq SqliteDatabase::next_seq(UserId user) {
  auto it = chat_.last_seq.find(raw(user));
  if (it == chat_.last_seq.end()) {
    // Not in the log when the state was loaded, so the archive and the
    // notifications hold their latest seq (a block leaves the log only
    // once the archive has it).
    it = chat_.last_seq.emplace(raw(user), stored_last_seq(raw(user))).first;
  }
  chat_.seq_undo.emplace_back(raw(user), it->second);
  return Seq{++it->second};
}

std::optional<ChatInsertResult> SqliteDatabase::find_duplicate(const ChatInsert& chat) {
  if (!chat.client_msg_id) return std::nullopt;
  if (const ChatInsertResult* pending = chat_.pending.find(raw(chat.from), *chat.client_msg_id)) {
    return *pending;
  }
  Statement& seen = statements_->get(
      "SELECT id, sender_seq, recipient_seq, created_at FROM archive.messages"
      " WHERE from_user_id = ?1 AND client_msg_id = ?2");
  seen.bind(1, raw(chat.from)).bind(2, chat.client_msg_id);
  if (!seen.step()) return std::nullopt;
  ChatInsertResult r{MessageId{seen.column_int(0)}, Seq{seen.column_int(1)},
                     Seq{seen.column_int(2)}, seen.column_int(3), true};
  seen.reset();
  return r;
}

ChatInsertResult SqliteDatabase::insert_chat(const ChatInsert& chat) {
  if (!chat_.loaded) load_chat_state();
  if (auto duplicate = find_duplicate(chat)) return *duplicate;
  ChatInsertResult r;
  r.id = MessageId{chat_.next_message_id};
  r.created_at_ms = chat.created_at_ms;
  r.sender_seq = next_seq(chat.from);
  r.recipient_seq = next_seq(chat.to);
  if (chat_.block.empty()) chat_.block_first_id = raw(r.id);
  ChatRecord record{raw(r.id),           raw(chat.from),           raw(chat.to),
                    chat.created_at_ms,  raw(r.sender_seq),        raw(r.recipient_seq),
                    std::nullopt,        std::string_view(chat.text)};
  if (chat.client_msg_id) record.client_msg_id = std::string_view(*chat.client_msg_id);
  append_chat_record(chat_.block, record);
  ++chat_.next_message_id;
  if (chat.client_msg_id) {
    ChatInsertResult seen = r;
    seen.duplicate = true;
    chat_.pending.add(raw(chat.from), *chat.client_msg_id, seen);
  }
  // Outside a transaction every statement commits by itself; so does this.
  if (!in_transaction()) {
    try {
      write_block();
      chat_.seq_undo.clear();
    } catch (...) {
      chat_.forget();
      throw;
    }
  }
  return r;
}

// Stores this transaction's chats as one block.
void SqliteDatabase::write_block() {
  if (chat_.block.empty()) return;
  std::int64_t last_id = chat_.next_message_id - 1;
  statements_
      ->get("INSERT INTO main.chat_blocks (last_id, first_id, records) VALUES (?1, ?2, ?3)")
      .bind(1, last_id)
      .bind(2, chat_.block_first_id)
      .bind_blob(3, chat_.block)
      .run();
  chat_.blocks.emplace_back(chat_.block_first_id, last_id);
  chat_.block.clear();
}

// A job rolled back to its savepoint: its chats leave the block, its seqs
// and idempotency keys are given back; earlier jobs' stay.
void SqliteDatabase::undo_job_chats() {
  if (!job_.chat_state_loaded) {
    // Loaded during this job, so no earlier job of the transaction wrote a
    // chat: reloading from the tables is exact.
    chat_.forget();
    return;
  }
  // The job's chats are the block's tail: their keys leave with them.
  ChatBlockReader added(std::string_view(chat_.block).substr(job_.block_bytes));
  ChatRecord r;
  while (added.next(r)) {
    if (r.client_msg_id) chat_.pending.remove(r.from, *r.client_msg_id);
  }
  chat_.block.resize(job_.block_bytes);
  chat_.next_message_id = job_.next_message_id;
  while (chat_.seq_undo.size() > job_.seq_undo) {
    chat_.last_seq[chat_.seq_undo.back().first] = chat_.seq_undo.back().second;
    chat_.seq_undo.pop_back();
  }
}

// Deletes the oldest blocks whose every chat the archive has, about
// kReleaseRows chats' worth per commit. Runs in the writer's transaction at
// commit. Releasing a whole fold at once made the commit after each fold
// 5-10 ms long (a few hundred rows and their overflow pages): every ack
// of that batch, and every chat arriving meanwhile, waited for it.
void SqliteDatabase::release_folded_log() {
  if (!chat_.loaded) return;
  // A fold needs kFoldRows unfolded chats, so with fewer none has run
  // since the last look: the archive is only asked (one index seek) then.
  if (chat_.unfolded_rows() >= kFoldRows) chat_.archived_upto = archived_upto();
  chat_.pending.released_upto(chat_.archived_upto, chat_.next_message_id - 1);
  std::int64_t upto = 0, released = 0;
  while (!chat_.blocks.empty() && chat_.blocks.front().second <= chat_.archived_upto &&
         released < kReleaseRows) {
    released += chat_.blocks.front().second - chat_.blocks.front().first + 1;
    upto = chat_.blocks.front().second;
    chat_.blocks.pop_front();
  }
  if (released == 0) return;
  statements_->get("DELETE FROM main.chat_blocks WHERE last_id <= ?1").bind(1, upto).run();
}

Seq SqliteDatabase::last_seq(UserId user) {
  // The writer's own view is exact, its open transaction included.
  if (chat_.loaded) {
    if (auto it = chat_.last_seq.find(raw(user)); it != chat_.last_seq.end()) return Seq{it->second};
  }
  // The log before the archive (see ChatWriteState): a scan of the short
  // log and of the unfolded notification batches, then the archive's
  // runs by their keys.
  std::int64_t latest = 0;
  if (auto seqs = unfolded_notification_seqs(); seqs.contains(raw(user))) latest = seqs[raw(user)];
  Statement& blocks = statements_->get("SELECT records FROM main.chat_blocks");
  while (blocks.step()) {
    ChatBlockReader reader(blocks.column_blob(0));
    ChatRecord r;
    while (reader.next(r)) {
      if (r.from == raw(user)) latest = std::max(latest, r.sender_seq);
      if (r.to == raw(user)) latest = std::max(latest, r.recipient_seq);
    }
  }
  return Seq{std::max(latest, stored_last_seq(raw(user)))};
}

}  // namespace herald::store::sqlite
