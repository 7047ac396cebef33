// PgDatabase: notifications, follows, posts, likes and comments
// (pg_database.hpp), with SqliteDatabase's semantics (database.hpp is the
// contract; sqlite_notifications.cpp and sqlite_social.cpp the model).
//
// Notifications are plain rows here, one per recipient, each with a
// mailbox row (kind 2) that the replay reads (pg_chat.cpp); the read flag
// lives on the notification row alone. What notifies whom is decided above
// the store (api/social_rules): these only read and write rows. Writers run
// inside the caller's transaction (the StorageRunner's job), so an action
// and the notifications it raises commit together or not at all.
//
// Every value travels as a parameter. Lists of integers go as one
// PostgreSQL array literal built from the numbers alone (nothing to
// escape); names are looked up one at a time. Free text (post and comment
// contents, every notification field) is stored escaped and read back
// unescaped (pg_text.hpp), so a NUL byte in it is kept as SQLite keeps it.
#include <algorithm>
#include <limits>
#include <map>
#include <string_view>

#include "store/pg/pg_database.hpp"
#include "store/pg/pg_text.hpp"

namespace herald::store::pg {

namespace {

constexpr std::int64_t kNoCursor = std::numeric_limits<std::int64_t>::max();

// The mailbox's event kinds (pg_schema.hpp).
constexpr std::int64_t kMailboxNotification = 2;

// `before` is exclusive; no cursor means from the newest.
Param cursor(const PageRequest& page) { return page.before.value_or(kNoCursor); }

// SQLite's LIMIT reads a negative limit as "no limit", which PostgreSQL
// spells LIMIT NULL (a negative one is an error there). The follow and
// comment lists pass the limit straight to SQL on SQLite, so they keep that.
Param sql_limit(const PageRequest& page) {
  if (page.limit < 0) return std::nullopt;
  return page.limit;
}

// Free text as stored (pg_text.hpp); NULL stays NULL.
Param stored_text(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  return to_pg_text(*text);
}

bool flag(const PgResult& r, int row, int column) { return r.text(row, column) == "t"; }

// "{1,2,3}": a bigint[] literal. Digits and minus signs only.
std::string bigint_array(const std::vector<std::int64_t>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(values[i]);
  }
  out += '}';
  return out;
}

// ---- notifications ----

constexpr std::string_view kNotificationColumns =
    "SELECT id, user_id, seq, type, title, message, data, link, read, created_at FROM notifications";

NotificationRecord read_notification(const PgResult& r, int row) {
  NotificationRecord n;
  n.id = NotificationId{r.integer(row, 0)};
  n.user = UserId{r.integer(row, 1)};
  n.seq = Seq{r.integer(row, 2)};
  n.content.type = from_pg_text(r.text(row, 3));
  n.content.title = from_pg_text(r.text(row, 4));
  n.content.message = from_pg_text(r.text(row, 5));
  n.content.data_json = from_pg_text(r.text(row, 6));
  if (!r.is_null(row, 7)) n.content.link = from_pg_text(r.text(row, 7));
  n.read = flag(r, row, 8);
  n.created_at_ms = r.integer(row, 9);
  return n;
}

// ---- social rows ----

std::vector<FollowEntry> read_follows(const PgResult& r) {
  std::vector<FollowEntry> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back({UserId{r.integer(i, 0)}, r.text(i, 1), r.integer(i, 2)});
  return out;
}

constexpr std::string_view kCommentColumns =
    "SELECT id, post_id, author_id, parent_id, content, created_at FROM comments";

CommentRecord read_comment(const PgResult& r, int row) {
  CommentRecord c;
  c.id = CommentId{r.integer(row, 0)};
  c.post = PostId{r.integer(row, 1)};
  c.author = UserId{r.integer(row, 2)};
  if (!r.is_null(row, 3)) c.parent = CommentId{r.integer(row, 3)};
  c.content = from_pg_text(r.text(row, 4));
  c.created_at_ms = r.integer(row, 5);
  return c;
}

}  // namespace

std::vector<std::pair<UserId, UserId>> PgDatabase::load_follows() {
  auto r = db_.exec("SELECT follower_id, followee_id FROM follows ORDER BY follower_id, followee_id");
  std::vector<std::pair<UserId, UserId>> edges;
  edges.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) edges.emplace_back(UserId{r.integer(i, 0)}, UserId{r.integer(i, 1)});
  return edges;
}

// ---- notifications (PROTOCOL.md 6.4) ----

// Records come back in the order of `users` (a user named twice gets two,
// with consecutive seqs), ids increasing along it, as SQLite's.
std::vector<NotificationRecord> PgDatabase::insert_notifications(const std::vector<UserId>& users,
                                                                 const NotificationContent& content,
                                                                 std::int64_t now_ms) {
  std::vector<NotificationRecord> out;
  if (users.empty()) return out;

  // Seqs: the recipients' mailbox_heads rows stay locked to the commit,
  // taken in ascending user id order (std::map's) whatever order `users`
  // is in, so two nodes publishing to overlapping users wait for each
  // other instead of deadlocking.
  std::map<std::int64_t, std::int64_t> next_seq;  // user -> how many, then the next seq to give
  for (UserId user : users) ++next_seq[raw(user)];
  for (auto& [user, count] : next_seq) count = raw(take_seqs(UserId{user}, count));

  // Ids: taken from the column's sequence up front and handed out sorted,
  // so they increase in recipient order whatever order the server
  // evaluates an INSERT's rows in. Another node may take ids in between:
  // they increase, but need not be consecutive.
  const auto n = static_cast<std::int64_t>(users.size());
  auto ids = db_.exec(
      "SELECT nextval(pg_get_serial_sequence('notifications', 'id')) FROM generate_series(1, $1::bigint)"
      " ORDER BY 1",
      {n});
  if (ids.rows() != n) throw StorageError("postgres: notification ids not allocated");

  std::vector<std::int64_t> id_list, user_list, seq_list;
  id_list.reserve(users.size());
  user_list.reserve(users.size());
  seq_list.reserve(users.size());
  out.reserve(users.size());
  for (UserId user : users) {
    NotificationRecord record;
    record.id = NotificationId{ids.integer(static_cast<int>(out.size()), 0)};
    record.user = user;
    record.seq = Seq{next_seq[raw(user)]++};
    record.content = content;
    record.created_at_ms = now_ms;
    id_list.push_back(raw(record.id));
    user_list.push_back(raw(user));
    seq_list.push_back(raw(record.seq));
    out.push_back(std::move(record));
  }

  // The rows and their mailbox events in one statement (one round trip).
  db_.exec(
      "WITH r AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS r(id, user_id, seq)),"
      " n AS (INSERT INTO notifications (id, user_id, seq, type, title, message, data, link, created_at)"
      "       SELECT id, user_id, seq, $4::text, $5::text, $6::text, $7::text, $8::text, $9::bigint FROM r)"
      " INSERT INTO mailbox (user_id, seq, kind, ref_id, created_at)"
      " SELECT user_id, seq, $10::smallint, id, $9::bigint FROM r",
      {bigint_array(id_list), bigint_array(user_list), bigint_array(seq_list), to_pg_text(content.type),
       to_pg_text(content.title), to_pg_text(content.message), to_pg_text(content.data_json),
       stored_text(content.link), now_ms, kMailboxNotification});
  return out;
}

// Newest first; a negative limit lists nothing, as SQLite's.
std::vector<NotificationRecord> PgDatabase::list_notifications(UserId user, const PageRequest& page,
                                                               bool unread_only) {
  // Two texts rather than a flag parameter: the unread list then matches
  // the partial index notifications_unread.
  const std::string sql = std::string(kNotificationColumns) + " WHERE user_id = $1 AND id < $2" +
                          (unread_only ? " AND NOT read" : "") + " ORDER BY id DESC LIMIT $3";
  auto r = db_.exec(sql, {raw(user), cursor(page), std::max<std::int64_t>(0, page.limit)});
  std::vector<NotificationRecord> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(read_notification(r, i));
  return out;
}

std::int64_t PgDatabase::unread_count(UserId user) {
  return db_.exec("SELECT count(*) FROM notifications WHERE user_id = $1 AND NOT read", {raw(user)})
      .integer(0, 0);
}

std::vector<std::pair<UserId, std::int64_t>> PgDatabase::unread_counts() {
  auto r = db_.exec("SELECT user_id, count(*) FROM notifications WHERE NOT read GROUP BY user_id ORDER BY user_id");
  std::vector<std::pair<UserId, std::int64_t>> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.emplace_back(UserId{r.integer(i, 0)}, r.integer(i, 1));
  return out;
}

MarkRead PgDatabase::mark_notification_read(UserId user, NotificationId id) {
  // The owner is part of the key: another user's notification is
  // not_found (404), never "already read". The UPDATE waits for a
  // concurrent mark of the same row, then finds it read.
  const std::vector<Param> key{raw(id), raw(user)};
  if (db_.exec("UPDATE notifications SET read = true WHERE id = $1 AND user_id = $2 AND NOT read", key)
          .affected() == 1) {
    return MarkRead::marked;
  }
  const bool owned = db_.exec("SELECT 1 FROM notifications WHERE id = $1 AND user_id = $2", key).rows() > 0;
  return owned ? MarkRead::already_read : MarkRead::not_found;
}

// Every notification stored so far; a later one stays unread.
std::int64_t PgDatabase::mark_all_notifications_read(UserId user) {
  return db_.exec("UPDATE notifications SET read = true WHERE user_id = $1 AND NOT read", {raw(user)}).affected();
}

// ---- social actions (PROTOCOL.md 6.3) ----

bool PgDatabase::note_once(OnceKind kind, std::int64_t subject, UserId actor) {
  return db_.exec(
               "INSERT INTO notified_once (kind, subject_id, actor_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
               {static_cast<std::int64_t>(kind), subject, raw(actor)})
             .affected() == 1;
}

bool PgDatabase::follow(UserId follower, UserId followee, std::int64_t now_ms) {
  return db_.exec(
               "INSERT INTO follows (follower_id, followee_id, created_at) VALUES ($1, $2, $3)"
               " ON CONFLICT DO NOTHING",
               {raw(follower), raw(followee), now_ms})
             .affected() == 1;
}

bool PgDatabase::unfollow(UserId follower, UserId followee) {
  return db_.exec("DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2", {raw(follower), raw(followee)})
             .affected() == 1;
}

// A user known only from a token may have no row yet (it is written
// behind their first connection): such a name reads as "user<id>".
std::vector<FollowEntry> PgDatabase::list_followers(UserId user, const PageRequest& page) {
  return read_follows(db_.exec(
      "SELECT f.follower_id, coalesce(u.username, 'user' || f.follower_id), f.created_at"
      " FROM follows f LEFT JOIN users u ON u.id = f.follower_id"
      " WHERE f.followee_id = $1 AND f.follower_id < $2 ORDER BY f.follower_id DESC LIMIT $3",
      {raw(user), cursor(page), sql_limit(page)}));
}

std::vector<FollowEntry> PgDatabase::list_following(UserId user, const PageRequest& page) {
  return read_follows(db_.exec(
      "SELECT f.followee_id, coalesce(u.username, 'user' || f.followee_id), f.created_at"
      " FROM follows f LEFT JOIN users u ON u.id = f.followee_id"
      " WHERE f.follower_id = $1 AND f.followee_id < $2 ORDER BY f.followee_id DESC LIMIT $3",
      {raw(user), cursor(page), sql_limit(page)}));
}

PostRecord PgDatabase::create_post(UserId author, const std::string& content, std::int64_t now_ms) {
  auto r = db_.exec("INSERT INTO posts (author_id, content, created_at) VALUES ($1, $2, $3) RETURNING id",
                    {raw(author), to_pg_text(content), now_ms});
  return PostRecord{PostId{r.integer(0, 0)}, author, content, now_ms, 0, 0};
}

// The counts are counted, not kept: a post's likes and comments are found
// by their primary key and index prefix, cheap at the sizes a post sees.
std::optional<PostRecord> PgDatabase::get_post(PostId id) {
  auto r = db_.exec(
      "SELECT id, author_id, content, created_at,"
      " (SELECT count(*) FROM post_likes WHERE post_id = posts.id),"
      " (SELECT count(*) FROM comments WHERE post_id = posts.id)"
      " FROM posts WHERE id = $1",
      {raw(id)});
  if (r.rows() == 0) return std::nullopt;
  return PostRecord{PostId{r.integer(0, 0)}, UserId{r.integer(0, 1)}, from_pg_text(r.text(0, 2)),
                    r.integer(0, 3),         r.integer(0, 4),         r.integer(0, 5)};
}

bool PgDatabase::like_post(PostId post, UserId user, std::int64_t now_ms) {
  return db_.exec(
               "INSERT INTO post_likes (post_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
               {raw(post), raw(user), now_ms})
             .affected() == 1;
}

bool PgDatabase::unlike_post(PostId post, UserId user) {
  return db_.exec("DELETE FROM post_likes WHERE post_id = $1 AND user_id = $2", {raw(post), raw(user)})
             .affected() == 1;
}

CommentRecord PgDatabase::add_comment(PostId post, UserId author, std::optional<CommentId> parent,
                                      const std::string& content, std::int64_t now_ms) {
  Param parent_id = parent ? Param(raw(*parent)) : Param(std::nullopt);
  auto r = db_.exec(
      "INSERT INTO comments (post_id, author_id, parent_id, content, created_at) VALUES ($1, $2, $3, $4, $5)"
      " RETURNING id",
      {raw(post), raw(author), parent_id, to_pg_text(content), now_ms});
  return CommentRecord{CommentId{r.integer(0, 0)}, post, author, parent, content, now_ms};
}

std::optional<CommentRecord> PgDatabase::get_comment(CommentId id) {
  auto r = db_.exec(std::string(kCommentColumns) + " WHERE id = $1", {raw(id)});
  if (r.rows() == 0) return std::nullopt;
  return read_comment(r, 0);
}

std::vector<CommentRecord> PgDatabase::list_comments(PostId post, const PageRequest& page) {
  auto r = db_.exec(std::string(kCommentColumns) + " WHERE post_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
                    {raw(post), cursor(page), sql_limit(page)});
  std::vector<CommentRecord> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(read_comment(r, i));
  return out;
}

// One lookup per name by the unique index, in the order given, as SQLite's:
// a text holds few mentions (the rules cap them). Names are identifiers,
// compared as they are (not escaped, pg_text.hpp): a name with a NUL byte
// names no account (none can be stored), and sent as a C string it would
// be cut short into another name, so it is not looked up.
std::vector<std::pair<UserId, std::string>> PgDatabase::find_registered(const std::vector<std::string>& names_lc) {
  std::vector<std::pair<UserId, std::string>> out;
  for (const std::string& name : names_lc) {
    if (name.find('\0') != std::string::npos) continue;
    auto r = db_.exec("SELECT id, username FROM users WHERE username_lc = $1 AND password_hash IS NOT NULL", {name});
    if (r.rows() > 0) out.emplace_back(UserId{r.integer(0, 0)}, r.text(0, 1));
  }
  return out;
}

}  // namespace herald::store::pg
