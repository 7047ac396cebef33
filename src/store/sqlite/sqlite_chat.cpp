// SqliteDatabase, the chat write path: append to chat_log, allocate mailbox
// seqs in memory, fold the log into messages + mailbox in sorted batches
// (see ChatWriteState in sqlite_database.hpp for why).
#include <sqlite3.h>

#include "store/sqlite/sqlite_database.hpp"
#include "store/sqlite/statement.hpp"

namespace herald::store::sqlite {

namespace {
std::string idempotency_key(UserId from, const std::string& client_msg_id) {
  return std::to_string(raw(from)) + ':' + client_msg_id;
}
}  // namespace

void SqliteDatabase::load_chat_state() {
  chat_.forget();
  Statement& ids = statements_->get(
      "SELECT max(coalesce((SELECT max(id) FROM messages), 0),"
      "           coalesce((SELECT max(id) FROM chat_log), 0)),"
      "       (SELECT count(*) FROM chat_log)");
  ids.step();
  chat_.next_message_id = ids.column_int(0) + 1;
  chat_.log_rows = ids.column_int(1);
  ids.reset();
  Statement& pending = statements_->get(
      "SELECT from_user_id, client_msg_id, id, sender_seq, recipient_seq, created_at FROM chat_log"
      " WHERE client_msg_id IS NOT NULL");
  while (pending.step()) {
    chat_.pending_ids.emplace(
        idempotency_key(UserId{pending.column_int(0)}, pending.column_text(1)),
        ChatInsertResult{MessageId{pending.column_int(2)}, Seq{pending.column_int(3)},
                         Seq{pending.column_int(4)}, pending.column_int(5), true});
  }
  // Every user with a chat in the log gets their latest seq from one scan;
  // for anyone else the mailbox's key answers (next_seq), no scan needed.
  Statement& seqs = statements_->get(
      "SELECT user_id, max(seq) FROM ("
      "  SELECT from_user_id AS user_id, sender_seq AS seq FROM chat_log"
      "  UNION ALL SELECT to_user_id, recipient_seq FROM chat_log) GROUP BY user_id");
  while (seqs.step()) chat_.last_seq[seqs.column_int(0)] = seqs.column_int(1);
  chat_.loaded = true;
}

Seq SqliteDatabase::next_seq(UserId user) {
  auto it = chat_.last_seq.find(raw(user));
  if (it == chat_.last_seq.end()) {
    // Not in the log when the state was loaded, so the mailbox holds their latest seq.
    Statement& st = statements_->get("SELECT coalesce(max(seq), 0) FROM mailbox WHERE user_id = ?1");
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
      "SELECT id, sender_seq, recipient_seq, created_at FROM messages"
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
      ->get("INSERT INTO chat_log (id, from_user_id, to_user_id, body, client_msg_id, created_at,"
            " sender_seq, recipient_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
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
  ++chat_.log_rows;
  if (chat.client_msg_id) {
    ChatInsertResult seen = r;
    seen.duplicate = true;
    chat_.pending_ids.emplace(idempotency_key(chat.from, *chat.client_msg_id), seen);
  }
  return r;
}

void SqliteDatabase::fold_chat_log() {
  // Ids ascend in the log, so messages grows at its end; mailbox rows go in
  // key order, so each user's tail page is touched once.
  run("INSERT INTO messages (id, from_user_id, to_user_id, body, client_msg_id, created_at,"
      " sender_seq, recipient_seq)"
      " SELECT id, from_user_id, to_user_id, body, client_msg_id, created_at, sender_seq,"
      " recipient_seq FROM chat_log ORDER BY id");
  run("INSERT INTO mailbox (user_id, seq, kind, ref_id, created_at)"
      " SELECT user_id, seq, 1, id, created_at FROM ("
      "  SELECT from_user_id AS user_id, sender_seq AS seq, id, created_at FROM chat_log"
      "  UNION ALL SELECT to_user_id, recipient_seq, id, created_at FROM chat_log)"
      " ORDER BY user_id, seq");
  run("DELETE FROM chat_log");
  chat_.log_rows = 0;
  chat_.pending_ids.clear();  // now answered by the messages table
}

// A log left by the last run (any size) is folded when the database opens,
// so start-up reads (load_users) find every chat in messages and mailbox.
void SqliteDatabase::fold_leftover_chat_log() {
  Statement& any = statements_->get("SELECT 1 FROM chat_log LIMIT 1");
  bool leftover = any.step();
  any.reset();
  if (!leftover) return;
  begin();
  try {
    fold_chat_log();
    run("COMMIT");
  } catch (...) {
    rollback();
    throw;
  }
  chat_.forget();
}

Seq SqliteDatabase::last_seq(UserId user) {
  // The mailbox by its key, plus a scan of the short unfolded log.
  Statement& st = statements_->get(
      "SELECT max((SELECT coalesce(max(seq), 0) FROM mailbox WHERE user_id = ?1),"
      "           (SELECT coalesce(max(CASE WHEN from_user_id = ?1 THEN sender_seq"
      "                                     ELSE recipient_seq END), 0)"
      "            FROM chat_log WHERE from_user_id = ?1 OR to_user_id = ?1))");
  st.bind(1, raw(user));
  if (!st.step()) return Seq{0};
  Seq seq{st.column_int(0)};
  st.reset();
  return seq;
}

}  // namespace herald::store::sqlite
