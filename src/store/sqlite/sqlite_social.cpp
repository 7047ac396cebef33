// Social rows (PROTOCOL.md 6.3): follows, posts, likes, comments, and the
// lookups the notification rules need (registered names for mentions, the
// notified_once ledger). What notifies whom is decided above the store
// (api/social_rules); these only read and write rows, each writer opening
// the job's savepoint before its first write.
#include <sqlite3.h>

#include <limits>

#include "store/sqlite/sqlite_database.hpp"
#include "store/sqlite/statement.hpp"

namespace herald::store::sqlite {

namespace {

constexpr std::int64_t kNoCursor = std::numeric_limits<std::int64_t>::max();

std::vector<FollowEntry> read_follows(Statement& st) {
  std::vector<FollowEntry> out;
  while (st.step()) out.push_back({UserId{st.column_int(0)}, st.column_text(1), st.column_int(2)});
  return out;
}

CommentRecord read_comment(const Statement& st) {
  CommentRecord c;
  c.id = CommentId{st.column_int(0)};
  c.post = PostId{st.column_int(1)};
  c.author = UserId{st.column_int(2)};
  if (!st.column_is_null(3)) c.parent = CommentId{st.column_int(3)};
  c.content = st.column_text(4);
  c.created_at_ms = st.column_int(5);
  return c;
}

}  // namespace

bool SqliteDatabase::note_once(OnceKind kind, std::int64_t subject, UserId actor) {
  open_job_savepoint();
  statements_
      ->get("INSERT INTO notified_once (kind, subject_id, actor_id) VALUES (?1, ?2, ?3)"
            " ON CONFLICT DO NOTHING")
      .bind(1, static_cast<std::int64_t>(kind))
      .bind(2, subject)
      .bind(3, raw(actor))
      .run();
  return sqlite3_changes64(db_) == 1;
}

bool SqliteDatabase::follow(UserId follower, UserId followee, std::int64_t now_ms) {
  open_job_savepoint();
  statements_
      ->get("INSERT INTO follows (follower_id, followee_id, created_at) VALUES (?1, ?2, ?3)"
            " ON CONFLICT DO NOTHING")
      .bind(1, raw(follower))
      .bind(2, raw(followee))
      .bind(3, now_ms)
      .run();
  return sqlite3_changes64(db_) == 1;
}

bool SqliteDatabase::unfollow(UserId follower, UserId followee) {
  open_job_savepoint();
  statements_->get("DELETE FROM follows WHERE follower_id = ?1 AND followee_id = ?2")
      .bind(1, raw(follower))
      .bind(2, raw(followee))
      .run();
  return sqlite3_changes64(db_) == 1;
}

// A user known only from a token may have no row yet (it is written
// behind their first connection): such a name reads as "user<id>".
std::vector<FollowEntry> SqliteDatabase::list_followers(UserId user, const PageRequest& page) {
  Statement& st = statements_->get(
      "SELECT f.follower_id, coalesce(u.username, 'user' || f.follower_id), f.created_at"
      " FROM follows f LEFT JOIN users u ON u.id = f.follower_id"
      " WHERE f.followee_id = ?1 AND f.follower_id < ?2 ORDER BY f.follower_id DESC LIMIT ?3");
  st.bind(1, raw(user)).bind(2, page.before.value_or(kNoCursor)).bind(3, page.limit);
  return read_follows(st);
}

std::vector<FollowEntry> SqliteDatabase::list_following(UserId user, const PageRequest& page) {
  Statement& st = statements_->get(
      "SELECT f.followee_id, coalesce(u.username, 'user' || f.followee_id), f.created_at"
      " FROM follows f LEFT JOIN users u ON u.id = f.followee_id"
      " WHERE f.follower_id = ?1 AND f.followee_id < ?2 ORDER BY f.followee_id DESC LIMIT ?3");
  st.bind(1, raw(user)).bind(2, page.before.value_or(kNoCursor)).bind(3, page.limit);
  return read_follows(st);
}

PostRecord SqliteDatabase::create_post(UserId author, const std::string& content, std::int64_t now_ms) {
  open_job_savepoint();
  statements_->get("INSERT INTO posts (author_id, content, created_at) VALUES (?1, ?2, ?3)")
      .bind(1, raw(author))
      .bind(2, std::string_view(content))
      .bind(3, now_ms)
      .run();
  return PostRecord{PostId{sqlite3_last_insert_rowid(db_)}, author, content, now_ms, 0, 0};
}

// The counts are counted, not kept: a post's likes and comments are found
// by their primary key and index prefix, cheap at the sizes a post sees.
std::optional<PostRecord> SqliteDatabase::get_post(PostId id) {
  Statement& st = statements_->get(
      "SELECT id, author_id, content, created_at,"
      " (SELECT COUNT(*) FROM post_likes WHERE post_id = posts.id),"
      " (SELECT COUNT(*) FROM comments WHERE post_id = posts.id)"
      " FROM posts WHERE id = ?1");
  st.bind(1, raw(id));
  if (!st.step()) return std::nullopt;
  PostRecord p{PostId{st.column_int(0)}, UserId{st.column_int(1)}, st.column_text(2),
               st.column_int(3),        st.column_int(4),         st.column_int(5)};
  st.reset();
  return p;
}

bool SqliteDatabase::like_post(PostId post, UserId user, std::int64_t now_ms) {
  open_job_savepoint();
  statements_
      ->get("INSERT INTO post_likes (post_id, user_id, created_at) VALUES (?1, ?2, ?3)"
            " ON CONFLICT DO NOTHING")
      .bind(1, raw(post))
      .bind(2, raw(user))
      .bind(3, now_ms)
      .run();
  return sqlite3_changes64(db_) == 1;
}

bool SqliteDatabase::unlike_post(PostId post, UserId user) {
  open_job_savepoint();
  statements_->get("DELETE FROM post_likes WHERE post_id = ?1 AND user_id = ?2")
      .bind(1, raw(post))
      .bind(2, raw(user))
      .run();
  return sqlite3_changes64(db_) == 1;
}

CommentRecord SqliteDatabase::add_comment(PostId post, UserId author, std::optional<CommentId> parent,
                                          const std::string& content, std::int64_t now_ms) {
  open_job_savepoint();
  std::optional<std::int64_t> parent_id;
  if (parent) parent_id = raw(*parent);
  statements_
      ->get("INSERT INTO comments (post_id, author_id, parent_id, content, created_at)"
            " VALUES (?1, ?2, ?3, ?4, ?5)")
      .bind(1, raw(post))
      .bind(2, raw(author))
      .bind(3, parent_id)
      .bind(4, std::string_view(content))
      .bind(5, now_ms)
      .run();
  return CommentRecord{CommentId{sqlite3_last_insert_rowid(db_)}, post, author, parent, content, now_ms};
}

std::optional<CommentRecord> SqliteDatabase::get_comment(CommentId id) {
  Statement& st = statements_->get(
      "SELECT id, post_id, author_id, parent_id, content, created_at FROM comments WHERE id = ?1");
  st.bind(1, raw(id));
  if (!st.step()) return std::nullopt;
  CommentRecord c = read_comment(st);
  st.reset();
  return c;
}

std::vector<CommentRecord> SqliteDatabase::list_comments(PostId post, const PageRequest& page) {
  Statement& st = statements_->get(
      "SELECT id, post_id, author_id, parent_id, content, created_at FROM comments"
      " WHERE post_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3");
  st.bind(1, raw(post)).bind(2, page.before.value_or(kNoCursor)).bind(3, page.limit);
  std::vector<CommentRecord> out;
  while (st.step()) out.push_back(read_comment(st));
  return out;
}

// One lookup per name by the unique index: a text holds few mentions (the
// rules cap them), so this beats building an IN list.
std::vector<std::pair<UserId, std::string>> SqliteDatabase::find_registered(
    const std::vector<std::string>& names_lc) {
  std::vector<std::pair<UserId, std::string>> out;
  for (const auto& name : names_lc) {
    Statement& st = statements_->get("SELECT id, username FROM users WHERE username_lc = ?1");
    st.bind(1, std::string_view(name));
    if (!st.step()) continue;
    out.emplace_back(UserId{st.column_int(0)}, st.column_text(1));
    st.reset();
  }
  return out;
}

}  // namespace herald::store::sqlite
