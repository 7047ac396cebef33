// Notifications (PROTOCOL.md 6.4): the writer's publish and the readers'
// list, unread count and marks, over the layout of notification_pack.hpp
// (one batch row per publish, the per-user runs the fold writes) and the
// read side of notification_index.hpp.
//
// Seqs: each recipient's next mailbox seq (next_seq), which chats share,
// so a replay merges both kinds of event by seq (sqlite_mailbox.cpp).
#include <sqlite3.h>

#include <algorithm>
#include <limits>

#include <boost/unordered/unordered_flat_map.hpp>

#include "store/sqlite/notification_index.hpp"
#include "store/sqlite/notification_pack.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "store/sqlite/statement.hpp"

namespace herald::store::sqlite {

namespace {
constexpr std::int64_t kNoCursor = std::numeric_limits<std::int64_t>::max();

// How many of a run's entries have ids above `above`.
std::int64_t count_above(std::string_view entries, std::int64_t above) {
  std::int64_t n = 0;
  for (const NotificationEntry& e : unpack_run(0, entries)) n += e.id > above;
  return n;
}
}  // namespace

// One read transaction for a reader's several statements, unless the
// caller (the writer's job) already has one.
class SqliteDatabase::ReadScope {
 public:
  explicit ReadScope(SqliteDatabase& db) : db_(db), own_(!db.in_transaction()) {
    if (own_) db_.run("BEGIN");
  }
  ~ReadScope() {
    if (!own_ || !db_.in_transaction()) return;
    try {
      db_.run("COMMIT");  // it read only; ends the snapshot
    } catch (const std::exception&) {
      sqlite3_exec(db_.db_, "ROLLBACK", nullptr, nullptr, nullptr);  // never throws from here
    }
  }
  ReadScope(const ReadScope&) = delete;
  ReadScope& operator=(const ReadScope&) = delete;

 private:
  SqliteDatabase& db_;
  bool own_;
};

std::vector<NotificationRecord> SqliteDatabase::insert_notifications(
    const std::vector<UserId>& users, const NotificationContent& content, std::int64_t now_ms) {
  std::vector<NotificationRecord> out;
  if (users.empty()) return out;
  if (!chat_.loaded) load_chat_state();  // next_seq reads the writer's seq state
  open_job_savepoint();
  const std::int64_t first_id = NotificationIndex(*statements_).newest_id() + 1;
  std::string recipients;
  recipients.reserve(users.size() * kNotificationEntryBytes);
  out.reserve(users.size());
  for (UserId user : users) {
    NotificationRecord n;
    n.id = NotificationId{first_id + static_cast<std::int64_t>(out.size())};
    n.user = user;
    n.seq = next_seq(user);
    n.content = content;
    n.created_at_ms = now_ms;
    pack_recipient(recipients, raw(user), raw(n.seq));
    out.push_back(std::move(n));
  }
  statements_
      ->get("INSERT INTO main.notification_batches (last_id, first_id, type, title, message, data, link,"
            " created_at, recipients) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
      .bind(1, raw(out.back().id))
      .bind(2, first_id)
      .bind(3, std::string_view(content.type))
      .bind(4, std::string_view(content.title))
      .bind(5, std::string_view(content.message))
      .bind(6, std::string_view(content.data_json))
      .bind(7, content.link)
      .bind(8, now_ms)
      .bind_blob(9, recipients)
      .run();
  return out;
}

std::vector<NotificationRecord> SqliteDatabase::list_notifications(UserId user, const PageRequest& page,
                                                                   bool unread_only) {
  const std::int64_t u = raw(user);
  const std::int64_t before = page.before.value_or(kNoCursor);
  const auto limit = static_cast<std::size_t>(std::max<std::int64_t>(0, page.limit));
  ReadScope scope(*this);
  NotificationIndex index(*statements_);
  const std::int64_t folded = index.folded_upto();  // the archive first (notification_index.hpp)
  const NotificationReadState state = index.read_state(u);
  std::vector<NotificationEntry> picked;
  auto take = [&](const NotificationEntry& e) {
    if (e.id >= before || (unread_only && state.is_read(e.id))) return;
    picked.push_back(e);
  };
  // Newest first: the runs hold ids up to `folded`, the batches after it the rest.
  std::vector<NotificationEntry> unfolded = index.unfolded_of(u, folded);
  for (auto it = unfolded.rbegin(); it != unfolded.rend() && picked.size() < limit; ++it) take(*it);
  if (picked.size() < limit) {
    Statement& runs = statements_->get(
        "SELECT entries FROM archive.notification_runs WHERE user_id = ?1 AND first_id < ?2"
        " ORDER BY last_id DESC");
    runs.bind(1, u).bind(2, before);
    while (picked.size() < limit && runs.step()) {
      std::vector<NotificationEntry> run = unpack_run(u, runs.column_blob(0));
      for (auto it = run.rbegin(); it != run.rend() && picked.size() < limit; ++it) take(*it);
    }
    runs.reset();
  }
  std::vector<NotificationRecord> out;
  out.reserve(picked.size());
  for (const NotificationEntry& e : picked) {
    const NotificationBatch* batch = index.batch_of(e.id);
    if (!batch) throw StorageError("notification run entry without its batch");
    out.push_back(make_record(e, *batch, state.is_read(e.id)));
  }
  return out;
}

std::int64_t SqliteDatabase::unread_count(UserId user) {
  const std::int64_t u = raw(user);
  ReadScope scope(*this);
  NotificationIndex index(*statements_);
  const std::int64_t folded = index.folded_upto();
  const NotificationReadState state = index.read_state(u);
  std::int64_t stored = 0;  // the user's notifications above read_upto
  for (const NotificationEntry& e : index.unfolded_of(u, folded)) stored += e.id > state.read_upto;
  // A run wholly above the mark counts by its length, without its entries.
  Statement& runs = statements_->get(
      "SELECT length(entries), CASE WHEN first_id <= ?2 THEN entries END"
      " FROM archive.notification_runs WHERE user_id = ?1 AND last_id > ?2");
  runs.bind(1, u).bind(2, state.read_upto);
  while (runs.step()) {
    stored += runs.column_is_null(1)
                  ? runs.column_int(0) / static_cast<std::int64_t>(kNotificationEntryBytes)
                  : count_above(runs.column_blob(1), state.read_upto);
  }
  // Every read id above the mark is one of the user's (mark_notification_read).
  return stored - static_cast<std::int64_t>(state.read_ids.size());
}

std::vector<std::pair<UserId, std::int64_t>> SqliteDatabase::unread_counts() {
  ReadScope scope(*this);
  NotificationIndex index(*statements_);
  const std::int64_t folded = index.folded_upto();
  boost::unordered_flat_map<std::int64_t, std::int64_t> read_upto;
  Statement& marks = statements_->get("SELECT user_id, read_upto FROM main.notification_marks");
  while (marks.step()) read_upto[marks.column_int(0)] = marks.column_int(1);
  auto mark_of = [&](std::int64_t user) {
    auto it = read_upto.find(user);
    return it == read_upto.end() ? 0 : it->second;
  };
  boost::unordered_flat_map<std::int64_t, std::int64_t> unread;
  Statement& runs = statements_->get(
      "SELECT r.user_id, length(r.entries), CASE WHEN r.first_id <= coalesce(m.read_upto, 0) THEN r.entries END,"
      " coalesce(m.read_upto, 0)"
      " FROM archive.notification_runs r LEFT JOIN main.notification_marks m ON m.user_id = r.user_id"
      " WHERE r.last_id > coalesce(m.read_upto, 0)");
  while (runs.step()) {
    unread[runs.column_int(0)] +=
        runs.column_is_null(2) ? runs.column_int(1) / static_cast<std::int64_t>(kNotificationEntryBytes)
                               : count_above(runs.column_blob(2), runs.column_int(3));
  }
  index.for_each_batch_after(folded, [&](std::int64_t first_id, std::int64_t, std::string_view recipients) {
    for (const NotificationEntry& e : unpack_recipients(first_id, recipients)) {
      if (e.id > mark_of(e.user)) ++unread[e.user];
    }
  });
  Statement& reads = statements_->get(
      "SELECT r.user_id, count(*) FROM main.notification_reads r"
      " LEFT JOIN main.notification_marks m ON m.user_id = r.user_id"
      " WHERE r.id > coalesce(m.read_upto, 0) GROUP BY r.user_id");
  while (reads.step()) unread[reads.column_int(0)] -= reads.column_int(1);
  std::vector<std::pair<UserId, std::int64_t>> out;
  for (const auto& [user, n] : unread) {
    if (n > 0) out.emplace_back(UserId{user}, n);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return raw(a.first) < raw(b.first); });
  return out;
}

MarkRead SqliteDatabase::mark_notification_read(UserId user, NotificationId id) {
  open_job_savepoint();
  // The batch holding the id says whose it is: another user's is
  // not_found (404), never "already read".
  Statement& batch = statements_->get(
      "SELECT first_id, recipients FROM main.notification_batches WHERE last_id >= ?1"
      " ORDER BY last_id LIMIT 1");
  batch.bind(1, raw(id));
  Recipient owner;
  const bool found = batch.step() && recipient_at(batch.column_int(0), batch.column_blob(1), raw(id), owner);
  batch.reset();
  if (!found || owner.user != raw(user)) return MarkRead::not_found;
  if (NotificationIndex(*statements_).read_state(raw(user)).is_read(raw(id))) return MarkRead::already_read;
  statements_->get("INSERT INTO main.notification_reads (user_id, id) VALUES (?1, ?2)")
      .bind(1, raw(user))
      .bind(2, raw(id))
      .run();
  return MarkRead::marked;
}

std::int64_t SqliteDatabase::mark_all_notifications_read(UserId user) {
  open_job_savepoint();
  const std::int64_t was_unread = unread_count(user);
  if (was_unread == 0) return 0;
  // Every notification stored so far, the user's among them; any later
  // one has a higher id and stays unread.
  const std::int64_t upto = NotificationIndex(*statements_).newest_id();
  statements_
      ->get("INSERT INTO main.notification_marks (user_id, read_upto) VALUES (?1, ?2)"
            " ON CONFLICT(user_id) DO UPDATE SET read_upto = max(read_upto, excluded.read_upto)")
      .bind(1, raw(user))
      .bind(2, upto)
      .run();
  statements_->get("DELETE FROM main.notification_reads WHERE user_id = ?1 AND id <= ?2")
      .bind(1, raw(user))
      .bind(2, upto)
      .run();
  return was_unread;
}

}  // namespace herald::store::sqlite
