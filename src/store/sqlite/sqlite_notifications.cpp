// Notifications (PROTOCOL.md 6.4): one row per recipient, carrying the
// recipient's mailbox seq, which chats share (next_seq), so a reader can
// replay a mailbox by (user_id, seq) across both kinds of event.
//
// The unread ones have a partial index (user_id, id) WHERE read = 0: the
// unread count, the unread-only page and the start-up count per user read
// only unread rows. Every statement repeats `read = 0` literally, which is
// what lets SQLite pick that index.
#include <sqlite3.h>

#include <limits>

#include "store/sqlite/sqlite_database.hpp"
#include "store/sqlite/statement.hpp"

namespace herald::store::sqlite {

namespace {

constexpr std::int64_t kNoCursor = std::numeric_limits<std::int64_t>::max();

NotificationRecord read_notification(const Statement& st) {
  NotificationRecord n;
  n.id = NotificationId{st.column_int(0)};
  n.user = UserId{st.column_int(1)};
  n.seq = Seq{st.column_int(2)};
  n.content.type = st.column_text(3);
  n.content.title = st.column_text(4);
  n.content.message = st.column_text(5);
  n.content.data_json = st.column_text(6);
  if (!st.column_is_null(7)) n.content.link = st.column_text(7);
  n.read = st.column_int(8) != 0;
  n.created_at_ms = st.column_int(9);
  return n;
}

}  // namespace

std::vector<NotificationRecord> SqliteDatabase::insert_notifications(
    const std::vector<UserId>& users, const NotificationContent& content, std::int64_t now_ms) {
  std::vector<NotificationRecord> out;
  if (users.empty()) return out;
  if (!chat_.loaded) load_chat_state();  // next_seq reads the writer's seq state
  open_job_savepoint();
  out.reserve(users.size());
  for (UserId user : users) {
    NotificationRecord n;
    n.user = user;
    n.seq = next_seq(user);
    n.content = content;
    n.created_at_ms = now_ms;
    statements_
        ->get("INSERT INTO notifications (user_id, seq, type, title, message, data, link, created_at)"
              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
        .bind(1, raw(user))
        .bind(2, raw(n.seq))
        .bind(3, std::string_view(content.type))
        .bind(4, std::string_view(content.title))
        .bind(5, std::string_view(content.message))
        .bind(6, std::string_view(content.data_json))
        .bind(7, content.link)
        .bind(8, now_ms)
        .run();
    n.id = NotificationId{sqlite3_last_insert_rowid(db_)};
    out.push_back(std::move(n));
  }
  return out;
}

std::vector<NotificationRecord> SqliteDatabase::list_notifications(UserId user, const PageRequest& page,
                                                                   bool unread_only) {
  Statement& st =
      unread_only
          ? statements_->get(
                "SELECT id, user_id, seq, type, title, message, data, link, read, created_at"
                " FROM notifications WHERE user_id = ?1 AND read = 0 AND id < ?2"
                " ORDER BY id DESC LIMIT ?3")
          : statements_->get(
                "SELECT id, user_id, seq, type, title, message, data, link, read, created_at"
                " FROM notifications WHERE user_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3");
  st.bind(1, raw(user)).bind(2, page.before.value_or(kNoCursor)).bind(3, page.limit);
  std::vector<NotificationRecord> out;
  while (st.step()) out.push_back(read_notification(st));
  return out;
}

std::int64_t SqliteDatabase::unread_count(UserId user) {
  Statement& st = statements_->get("SELECT COUNT(*) FROM notifications WHERE user_id = ?1 AND read = 0");
  st.bind(1, raw(user));
  st.step();
  std::int64_t n = st.column_int(0);
  st.reset();
  return n;
}

std::vector<std::pair<UserId, std::int64_t>> SqliteDatabase::unread_counts() {
  Statement& st = statements_->get(
      "SELECT user_id, COUNT(*) FROM notifications WHERE read = 0 GROUP BY user_id");
  std::vector<std::pair<UserId, std::int64_t>> out;
  while (st.step()) out.emplace_back(UserId{st.column_int(0)}, st.column_int(1));
  return out;
}

MarkRead SqliteDatabase::mark_notification_read(UserId user, NotificationId id) {
  open_job_savepoint();
  // One statement for both cases would hide "another user's" inside
  // "already read"; the owner check must answer not_found (404).
  Statement& find = statements_->get("SELECT read FROM notifications WHERE id = ?1 AND user_id = ?2");
  find.bind(1, raw(id)).bind(2, raw(user));
  if (!find.step()) return MarkRead::not_found;
  const bool was_read = find.column_int(0) != 0;
  find.reset();
  if (was_read) return MarkRead::already_read;
  statements_->get("UPDATE notifications SET read = 1 WHERE id = ?1 AND read = 0").bind(1, raw(id)).run();
  return MarkRead::marked;
}

std::int64_t SqliteDatabase::mark_all_notifications_read(UserId user) {
  open_job_savepoint();
  statements_->get("UPDATE notifications SET read = 1 WHERE user_id = ?1 AND read = 0")
      .bind(1, raw(user))
      .run();
  return sqlite3_changes64(db_);
}

}  // namespace herald::store::sqlite
