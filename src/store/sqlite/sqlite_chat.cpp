// SqliteDatabase, the chat path: the writer appends to main.chat_log and
// allocates mailbox seqs in memory; compact() folds the log into the
// archive in sorted passes on its own connection; the writer then releases
// folded rows from the log (see ChatWriteState in sqlite_database.hpp).
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "store/sqlite/sqlite_database.hpp"
#include "store/sqlite/statement.hpp"

namespace herald::store::sqlite {

namespace {
std::string idempotency_key(UserId from, const std::string& client_msg_id) {
  return std::to_string(raw(from)) + ':' + client_msg_id;
}
}  // namespace

// One integer from a cached statement with no parameters.
std::int64_t SqliteDatabase::scalar(const char* sql) {
  Statement& st = statements_->get(sql);
  st.step();
  std::int64_t value = st.column_int(0);
  st.reset();
  return value;
}

std::int64_t SqliteDatabase::archived_upto() {
  return scalar("SELECT coalesce(max(id), 0) FROM archive.messages");
}

std::int64_t SqliteDatabase::newest_log_id() {
  return scalar("SELECT coalesce(max(id), 0) FROM main.chat_log");
}

void SqliteDatabase::load_chat_state() {
  chat_.forget();
  // The log first, then the archive: the snapshot order readers use too.
  Statement& ids = statements_->get(
      "SELECT coalesce((SELECT min(id) FROM main.chat_log), 0),"
      "       coalesce((SELECT max(id) FROM main.chat_log), 0),"
      "       coalesce((SELECT max(id) FROM archive.messages), 0)");
  ids.step();
  std::int64_t first = ids.column_int(0), newest = ids.column_int(1);
  chat_.archived_upto = ids.column_int(2);
  ids.reset();
  chat_.next_message_id = std::max(newest, chat_.archived_upto) + 1;
  chat_.first_log_id = first != 0 ? first : chat_.next_message_id;
  Statement& pending = statements_->get(
      "SELECT from_user_id, client_msg_id, id, sender_seq, recipient_seq, created_at"
      " FROM main.chat_log WHERE client_msg_id IS NOT NULL ORDER BY id");
  while (pending.step()) {
    std::string key = idempotency_key(UserId{pending.column_int(0)}, pending.column_text(1));
    std::int64_t id = pending.column_int(2);
    chat_.pending_ids.emplace(key, ChatInsertResult{MessageId{id}, Seq{pending.column_int(3)},
                                                    Seq{pending.column_int(4)},
                                                    pending.column_int(5), true});
    chat_.pending_order.emplace_back(id, std::move(key));
  }
  // Every user with a chat in the log gets their latest seq from one scan;
  // for anyone else the archive's mailbox key answers (next_seq).
  Statement& seqs = statements_->get(
      "SELECT user_id, max(seq) FROM ("
      "  SELECT from_user_id AS user_id, sender_seq AS seq FROM main.chat_log"
      "  UNION ALL SELECT to_user_id, recipient_seq FROM main.chat_log) GROUP BY user_id");
  while (seqs.step()) chat_.last_seq[seqs.column_int(0)] = seqs.column_int(1);
  chat_.loaded = true;
}

Seq SqliteDatabase::next_seq(UserId user) {
  auto it = chat_.last_seq.find(raw(user));
  if (it == chat_.last_seq.end()) {
    // Not in the log when the state was loaded, so the archive holds their
    // latest seq (a row leaves the log only once the archive has it).
    Statement& st =
        statements_->get("SELECT coalesce(max(seq), 0) FROM archive.mailbox WHERE user_id = ?1");
    st.bind(1, raw(user));
    st.step();
    it = chat_.last_seq.emplace(raw(user), st.column_int(0)).first;
    st.reset();
  }
  return Seq{++it->second};
}

std::optional<ChatInsertResult> SqliteDatabase::find_duplicate(const ChatInsert& chat) {
  if (!chat.client_msg_id) return std::nullopt;
  auto pending = chat_.pending_ids.find(idempotency_key(chat.from, *chat.client_msg_id));
  if (pending != chat_.pending_ids.end()) return pending->second;
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
  statements_
      ->get("INSERT INTO main.chat_log (id, from_user_id, to_user_id, body, client_msg_id,"
            " created_at, sender_seq, recipient_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
      .bind(1, raw(r.id))
      .bind(2, raw(chat.from))
      .bind(3, raw(chat.to))
      .bind(4, std::string_view(chat.text))
      .bind(5, chat.client_msg_id)
      .bind(6, chat.created_at_ms)
      .bind(7, raw(r.sender_seq))
      .bind(8, raw(r.recipient_seq))
      .run();
  ++chat_.next_message_id;
  ++chat_.appended_in_transaction;
  if (chat.client_msg_id) {
    ChatInsertResult seen = r;
    seen.duplicate = true;
    std::string key = idempotency_key(chat.from, *chat.client_msg_id);
    chat_.pending_ids.emplace(key, seen);
    chat_.pending_order.emplace_back(raw(r.id), std::move(key));
  }
  return r;
}

// Copies log rows (after, upto] into the archive. Ids ascend in the log,
// so messages grows at its end; mailbox rows go in key order, so each
// user's tail page is touched once. Runs inside the caller's transaction,
// which writes only the archive.
void SqliteDatabase::fold_log_range(std::int64_t after, std::int64_t upto) {
  statements_
      ->get("INSERT INTO archive.messages (id, from_user_id, to_user_id, body, client_msg_id,"
            " created_at, sender_seq, recipient_seq)"
            " SELECT id, from_user_id, to_user_id, body, client_msg_id, created_at, sender_seq,"
            " recipient_seq FROM main.chat_log WHERE id > ?1 AND id <= ?2 ORDER BY id")
      .bind(1, after)
      .bind(2, upto)
      .run();
  statements_
      ->get("INSERT INTO archive.mailbox (user_id, seq, kind, ref_id, created_at)"
            " SELECT user_id, seq, 1, id, created_at FROM ("
            "  SELECT from_user_id AS user_id, sender_seq AS seq, id, created_at"
            "   FROM main.chat_log WHERE id > ?1 AND id <= ?2"
            "  UNION ALL SELECT to_user_id, recipient_seq, id, created_at"
            "   FROM main.chat_log WHERE id > ?1 AND id <= ?2)"
            " ORDER BY user_id, seq")
      .bind(1, after)
      .bind(2, upto)
      .run();
}

bool SqliteDatabase::compact() {
  // Deferred: the reads take no lock, and the first insert takes only the
  // archive's write lock, never main's (the writer's).
  run("BEGIN");
  try {
    std::int64_t after = archived_upto();
    std::int64_t newest = newest_log_id();
    if (newest - after < kFoldRows) {
      run("COMMIT");
      return false;
    }
    std::int64_t upto = std::min(newest, after + kMaxFoldRows);
    fold_log_range(after, upto);
    run("COMMIT");
    return true;
  } catch (...) {
    rollback();
    throw;
  }
}

// Deletes folded rows from the head of the log, a bounded chunk per commit.
void SqliteDatabase::release_folded_log() {
  if (!chat_.loaded) return;
  // A fold needs kFoldRows unfolded rows, so a shorter log has none: the
  // archive is only asked (one index seek) once the log is that long.
  if (chat_.next_message_id - chat_.first_log_id >= kFoldRows) chat_.archived_upto = archived_upto();
  if (chat_.archived_upto < chat_.first_log_id) return;
  std::int64_t chunk = std::max(kReleaseChunk, kReleasePerAppended * chat_.appended_in_transaction);
  std::int64_t upto = std::min(chat_.archived_upto, chat_.first_log_id + chunk - 1);
  statements_->get("DELETE FROM main.chat_log WHERE id <= ?1").bind(1, upto).run();
  chat_.first_log_id = upto + 1;
  while (!chat_.pending_order.empty() && chat_.pending_order.front().first <= upto) {
    chat_.pending_ids.erase(chat_.pending_order.front().second);
    chat_.pending_order.pop_front();
  }
}

// The fold runs at idle priority; when the core never idles (a saturated
// server) this is where the writer gives it the time. Each read outside a
// transaction sees the archive's latest commit. Bounded, so a fold that
// keeps failing slows chats down but never stops them.
void SqliteDatabase::wait_for_fold() {
  constexpr auto kPatience = std::chrono::seconds(2);
  constexpr auto kPoll = std::chrono::milliseconds(1);
  auto deadline = std::chrono::steady_clock::now() + kPatience;
  do {
    std::this_thread::sleep_for(kPoll);
    chat_.archived_upto = archived_upto();
  } while (chat_.unfolded_rows() > kMaxUnfoldedRows && std::chrono::steady_clock::now() < deadline);
}

// A log left by the last run (any size) is folded and released when the
// database opens, so start-up reads (load_users) find every chat in the
// archive. Two transactions: the archive's, then main's.
void SqliteDatabase::fold_leftover_chat_log() {
  if (newest_log_id() == 0) return;
  run("BEGIN");
  try {
    std::int64_t after = archived_upto();
    fold_log_range(after, newest_log_id());
    run("COMMIT");
  } catch (...) {
    rollback();
    throw;
  }
  run("BEGIN");
  try {
    statements_->get("DELETE FROM main.chat_log WHERE id <= ?1").bind(1, archived_upto()).run();
    run("COMMIT");
  } catch (...) {
    rollback();
    throw;
  }
  chat_.forget();
}

Seq SqliteDatabase::last_seq(UserId user) {
  // The log before the archive (snapshot order, see ChatWriteState); the
  // archive's mailbox by its key, plus a scan of the short log.
  Statement& st = statements_->get(
      "SELECT max((SELECT coalesce(max(CASE WHEN from_user_id = ?1 THEN sender_seq"
      "                                     ELSE recipient_seq END), 0)"
      "            FROM main.chat_log WHERE from_user_id = ?1 OR to_user_id = ?1),"
      "           (SELECT coalesce(max(seq), 0) FROM archive.mailbox WHERE user_id = ?1))");
  st.bind(1, raw(user));
  if (!st.step()) return Seq{0};
  Seq seq{st.column_int(0)};
  st.reset();
  return seq;
}

}  // namespace herald::store::sqlite
