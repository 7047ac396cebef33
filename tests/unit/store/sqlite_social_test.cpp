// The notification and social storage methods against a real SQLite file:
// seqs shared with chats, paging, read marks confined to their owner,
// notified_once, follows, posts, likes, comments, registered-name lookup.
#include <gtest/gtest.h>

#include <filesystem>

#include "store/sqlite/sqlite_database.hpp"
#include "temp_db.hpp"

using namespace herald;
using store::sqlite::SqliteDatabase;

namespace {
std::filesystem::path temp_db() { return test::temp_db("social"); }

store::NotificationContent content(std::string title) {
  return {"new_like", std::move(title), "m", R"({"post_id":1})", std::string("/posts/1")};
}

// One write job, as the StorageRunner runs it.
template <class F>
auto job(SqliteDatabase& db, F f) {
  db.begin();
  db.savepoint();
  auto r = f();
  db.release_savepoint();
  db.commit();
  return r;
}
}  // namespace

TEST(SqliteSocial, NotificationsTakeTheMailboxSeqSharedWithChats) {
  SqliteDatabase db(temp_db());
  const UserId a{1}, b{2};
  job(db, [&] { return db.insert_chat({a, b, "hi", std::nullopt, 10}); });
  auto rows = job(db, [&] { return db.insert_notifications({b, a}, content("t"), 20); });
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].user, b);
  EXPECT_EQ(rows[0].seq, Seq{2});  // the chat took b's seq 1
  EXPECT_EQ(rows[1].seq, Seq{2});
  auto more = job(db, [&] { return db.insert_notifications({b}, content("u"), 30); });
  EXPECT_EQ(more[0].seq, Seq{3});
  EXPECT_EQ(db.last_seq(b), Seq{3});
}

TEST(SqliteSocial, ARolledBackJobGivesItsSeqsBack) {
  SqliteDatabase db(temp_db());
  db.begin();
  db.savepoint();
  db.insert_notifications({UserId{5}}, content("gone"), 1);
  db.rollback_to_savepoint();
  db.commit();
  auto rows = job(db, [&] { return db.insert_notifications({UserId{5}}, content("kept"), 2); });
  EXPECT_EQ(rows[0].seq, Seq{1});
  EXPECT_EQ(db.list_notifications(UserId{5}, {10, std::nullopt}, false).size(), 1u);
}

TEST(SqliteSocial, ListsPageNewestFirstAndMarksStayWithTheirOwner) {
  SqliteDatabase db(temp_db());
  const UserId u{7}, other{8};
  std::vector<store::NotificationId> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(job(db, [&] { return db.insert_notifications({u}, content("n" + std::to_string(i)), i); })[0].id);
  }
  auto theirs = job(db, [&] { return db.insert_notifications({other}, content("x"), 9); })[0].id;
  auto page = db.list_notifications(u, {2, std::nullopt}, false);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].id, ids[4]);
  EXPECT_EQ(page[0].content.title, "n4");
  EXPECT_EQ(page[0].content.link, std::optional<std::string>("/posts/1"));
  auto next = db.list_notifications(u, {10, raw(page[1].id)}, false);
  ASSERT_EQ(next.size(), 3u);
  EXPECT_EQ(next[0].id, ids[2]);

  EXPECT_EQ(job(db, [&] { return db.mark_notification_read(u, theirs); }), store::MarkRead::not_found);
  EXPECT_EQ(job(db, [&] { return db.mark_notification_read(u, ids[0]); }), store::MarkRead::marked);
  EXPECT_EQ(job(db, [&] { return db.mark_notification_read(u, ids[0]); }), store::MarkRead::already_read);
  EXPECT_EQ(db.unread_count(u), 4);
  EXPECT_EQ(db.list_notifications(u, {10, std::nullopt}, true).size(), 4u);
  auto counts = db.unread_counts();
  EXPECT_EQ(counts.size(), 2u);
  EXPECT_EQ(job(db, [&] { return db.mark_all_notifications_read(u); }), 4);
  EXPECT_EQ(db.unread_count(u), 0);
  EXPECT_EQ(db.unread_count(other), 1);
}

TEST(SqliteSocial, FollowsAndTheOnceLedger) {
  SqliteDatabase db(temp_db());
  const UserId a{1}, b{2}, c{3};
  db.ensure_user(a, "alice", 1);
  EXPECT_TRUE(job(db, [&] { return db.follow(a, b, 5); }));
  EXPECT_FALSE(job(db, [&] { return db.follow(a, b, 6); }));
  EXPECT_TRUE(job(db, [&] { return db.follow(c, b, 7); }));
  EXPECT_TRUE(job(db, [&] { return db.note_once(store::OnceKind::follow, raw(b), a); }));
  EXPECT_FALSE(job(db, [&] { return db.note_once(store::OnceKind::follow, raw(b), a); }));
  EXPECT_TRUE(job(db, [&] { return db.note_once(store::OnceKind::like, raw(b), a); }));  // another kind
  auto followers = db.list_followers(b, {10, std::nullopt});
  ASSERT_EQ(followers.size(), 2u);
  EXPECT_EQ(followers[0].user, c);
  EXPECT_EQ(followers[0].username, "user3");  // no row yet
  EXPECT_EQ(followers[1].username, "alice");
  EXPECT_EQ(db.list_followers(b, {10, 3}).size(), 1u);
  EXPECT_EQ(db.list_following(a, {10, std::nullopt})[0].user, b);
  EXPECT_TRUE(job(db, [&] { return db.unfollow(a, b); }));
  EXPECT_FALSE(job(db, [&] { return db.unfollow(a, b); }));
  EXPECT_EQ(db.get_user(a)->following_count, 0);
}

TEST(SqliteSocial, PostsLikesCommentsKeepTextByteForByte) {
  SqliteDatabase db(temp_db());
  const std::string text = std::string("'; DROP TABLE posts; -- \xE2\x98\x83 ") + '\0' + "end";
  auto post = job(db, [&] { return db.create_post(UserId{1}, text, 100); });
  EXPECT_TRUE(job(db, [&] { return db.like_post(post.id, UserId{2}, 101); }));
  EXPECT_FALSE(job(db, [&] { return db.like_post(post.id, UserId{2}, 102); }));
  auto top = job(db, [&] { return db.add_comment(post.id, UserId{2}, std::nullopt, text, 103); });
  auto reply = job(db, [&] { return db.add_comment(post.id, UserId{1}, top.id, "re", 104); });
  auto stored = db.get_post(post.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->content, text);
  EXPECT_EQ(stored->likes_count, 1);
  EXPECT_EQ(stored->comments_count, 2);
  EXPECT_EQ(db.get_comment(reply.id)->parent, std::optional<store::CommentId>(top.id));
  auto comments = db.list_comments(post.id, {1, std::nullopt});
  ASSERT_EQ(comments.size(), 1u);
  EXPECT_EQ(comments[0].id, reply.id);
  EXPECT_EQ(db.list_comments(post.id, {5, raw(reply.id)})[0].content, text);
  EXPECT_TRUE(job(db, [&] { return db.unlike_post(post.id, UserId{2}); }));
  EXPECT_EQ(db.get_post(post.id)->likes_count, 0);
  EXPECT_FALSE(db.get_post(store::PostId{999}));
}

TEST(SqliteSocial, RegisteredNamesAreFoundCaseInsensitively) {
  SqliteDatabase db(temp_db());
  auto carol = db.create_account("Carol", "hash", "", 1);
  db.ensure_user(UserId{50}, "tokenonly", 1);  // not a registered account
  auto found = db.find_registered({"carol", "tokenonly", "nobody"});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].first, carol->id);
  EXPECT_EQ(found[0].second, "Carol");
}
