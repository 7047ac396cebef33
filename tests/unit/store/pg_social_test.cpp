// PgDatabase's notification and social methods (pg_social.cpp) against a
// real PostgreSQL started by the test (postgres_server.hpp), one database
// per test: the behaviours the SQLite tests check (sqlite_social_test,
// notification_store_test: lists, counts and marks against a model; marks
// confined to their owner; follows, the once ledger, posts, likes,
// comments, registered names), the mailbox rows the replay reads, and
// what only a shared server brings: two connections publishing to
// overlapping recipients at once get unique, gapless seqs and no deadlock.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "pg_test_database.hpp"
#include "postgres_server.hpp"
#include "store/pg/pg_connection.hpp"
#include "store/pg/pg_database.hpp"

namespace herald::store::pg {
namespace {

NotificationContent content(std::string title) {
  return {"new_like", std::move(title), "m", R"({"post_id":1})", std::string("/posts/1")};
}

// One write job, as the StorageRunner runs it.
template <class F>
auto job(PgDatabase& db, F f) {
  db.begin();
  db.savepoint();
  auto r = f();
  db.release_savepoint();
  db.commit();
  return r;
}

class PgSocialTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (test::have_postgres()) server_ = std::make_unique<test::PostgresServer>();
  }
  static void TearDownTestSuite() { server_.reset(); }
  void SetUp() override {
    if (!server_) GTEST_SKIP() << "PostgreSQL 15 is not installed (scripts/install-deps.sh installs it)";
    url_ = test::fresh_database(*server_);
    db_ = std::make_unique<PgDatabase>(url_);
  }

  // The mailbox rows of `user` (seq, ref_id), by seq: what the replay reads.
  std::vector<std::pair<std::int64_t, std::int64_t>> notification_events(std::int64_t user) {
    PgConnection c(url_);
    auto r = c.exec("SELECT seq, ref_id FROM mailbox WHERE user_id = $1 AND kind = 2 ORDER BY seq", {user});
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    for (int i = 0; i < r.rows(); ++i) out.emplace_back(r.integer(i, 0), r.integer(i, 1));
    return out;
  }

  static std::unique_ptr<test::PostgresServer> server_;
  std::string url_;
  std::unique_ptr<PgDatabase> db_;
};
std::unique_ptr<test::PostgresServer> PgSocialTest::server_;

// ---- notifications: seqs, ids, mailbox rows ----

TEST_F(PgSocialTest, NotificationsTakeTheMailboxSeqSharedWithChats) {
  PgDatabase& db = *db_;
  const UserId a{1}, b{2};
  // A chat took b's seq 1 (pg_chat.cpp allocates from the same heads).
  PgConnection(url_).exec("INSERT INTO mailbox_heads (user_id, last_seq) VALUES (2, 1)");
  auto rows = job(db, [&] { return db.insert_notifications({b, a}, content("t"), 20); });
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].user, b);
  EXPECT_EQ(rows[0].seq, Seq{2});
  EXPECT_EQ(rows[1].user, a);
  EXPECT_EQ(rows[1].seq, Seq{1});
  EXPECT_LT(raw(rows[0].id), raw(rows[1].id));
  EXPECT_EQ(rows[0].content.title, "t");
  EXPECT_EQ(rows[0].created_at_ms, 20);
  EXPECT_FALSE(rows[0].read);
  auto more = job(db, [&] { return db.insert_notifications({b}, content("u"), 30); });
  EXPECT_EQ(more[0].seq, Seq{3});
  EXPECT_EQ(db.get_user(b), std::nullopt);  // notifications make no user rows
  db.ensure_user(b, "bob", 1);
  EXPECT_EQ(db.get_user(b)->last_seq, Seq{3});
  // One mailbox event per recipient, naming its notification.
  using Events = std::vector<std::pair<std::int64_t, std::int64_t>>;
  EXPECT_EQ(notification_events(2), (Events{{2, raw(rows[0].id)}, {3, raw(more[0].id)}}));
  EXPECT_EQ(notification_events(1), (Events{{1, raw(rows[1].id)}}));
  EXPECT_TRUE(job(db, [&] { return db.insert_notifications({}, content("none"), 40); }).empty());
}

// With pg_chat.cpp's chats and replay: one seq sequence per user, and the
// replay shows each notification once, with its read flag.
TEST_F(PgSocialTest, ChatsAndNotificationsShareSeqsAndTheReplay) {
  PgDatabase& db = *db_;
  const UserId a{1}, b{2};
  job(db, [&] { return db.insert_chat({a, b, "hi", std::nullopt, 10}); });
  auto rows = job(db, [&] { return db.insert_notifications({b, a}, content("t"), 20); });
  EXPECT_EQ(rows[0].seq, Seq{2});  // the chat took b's seq 1
  EXPECT_EQ(rows[1].seq, Seq{2});
  auto chat = job(db, [&] { return db.insert_chat({a, b, "again", std::nullopt, 30}); });
  EXPECT_EQ(chat.recipient_seq, Seq{3});
  EXPECT_EQ(db.last_seq(b), Seq{3});
  EXPECT_EQ(job(db, [&] { return db.mark_notification_read(b, rows[0].id); }), MarkRead::marked);

  MailboxRetention everything;
  everything.max_events = 1'000'000;
  auto page = PgDatabase(url_).read_mailbox(b, Seq{0}, everything);
  ASSERT_EQ(page.events.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<MailboxChat>(page.events[0].body));
  const auto* note = std::get_if<MailboxNotification>(&page.events[1].body);
  ASSERT_NE(note, nullptr);
  EXPECT_EQ(page.events[1].seq, Seq{2});
  EXPECT_EQ(note->id, raw(rows[0].id));
  EXPECT_EQ(note->title, "t");
  EXPECT_EQ(note->data_json, R"({"post_id":1})");
  EXPECT_EQ(note->link, std::optional<std::string>("/posts/1"));
  EXPECT_TRUE(note->read);
  EXPECT_EQ(note->created_at_ms, 20);
  EXPECT_TRUE(std::holds_alternative<MailboxChat>(page.events[2].body));
}

TEST_F(PgSocialTest, RecordsComeInRecipientOrderWithIdsIncreasing) {
  PgDatabase& db = *db_;
  // Unsorted, one user twice: the seqs are taken in user id order, the
  // records returned as SQLite returns them.
  const std::vector<UserId> users{UserId{9}, UserId{3}, UserId{5}, UserId{3}};
  auto rows = job(db, [&] { return db.insert_notifications(users, content("x"), 1); });
  ASSERT_EQ(rows.size(), 4u);
  const std::vector<std::int64_t> want_seq{1, 1, 1, 2};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].user, users[i]);
    EXPECT_EQ(raw(rows[i].seq), want_seq[i]);
    if (i > 0) {
      EXPECT_LT(raw(rows[i - 1].id), raw(rows[i].id));
    }
  }
  auto listed = db.list_notifications(UserId{3}, {10, std::nullopt}, false);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, rows[3].id);
  EXPECT_EQ(listed[0].seq, Seq{2});
  EXPECT_EQ(listed[1].id, rows[1].id);
}

TEST_F(PgSocialTest, ARolledBackJobGivesItsSeqsBack) {
  PgDatabase& db = *db_;
  db.begin();
  db.savepoint();
  db.insert_notifications({UserId{5}}, content("gone"), 1);
  db.rollback_to_savepoint();
  db.commit();
  auto rows = job(db, [&] { return db.insert_notifications({UserId{5}}, content("kept"), 2); });
  EXPECT_EQ(rows[0].seq, Seq{1});
  auto listed = db.list_notifications(UserId{5}, {10, std::nullopt}, false);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].content.title, "kept");
  EXPECT_EQ(notification_events(5).size(), 1u);
  // A whole batch rolled back too.
  db.begin();
  db.insert_notifications({UserId{5}}, content("gone too"), 3);
  db.rollback();
  EXPECT_EQ(job(db, [&] { return db.insert_notifications({UserId{5}}, content("k2"), 4); })[0].seq, Seq{2});
}

TEST_F(PgSocialTest, ListsPageNewestFirstAndMarksStayWithTheirOwner) {
  PgDatabase& db = *db_;
  const UserId u{7}, other{8};
  std::vector<NotificationId> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(job(db, [&] { return db.insert_notifications({u}, content("n" + std::to_string(i)), i); })[0].id);
  }
  auto theirs = job(db, [&] { return db.insert_notifications({other}, content("x"), 9); })[0].id;
  auto page = db.list_notifications(u, {2, std::nullopt}, false);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].id, ids[4]);
  EXPECT_EQ(page[0].content.title, "n4");
  EXPECT_EQ(page[0].content.type, "new_like");
  EXPECT_EQ(page[0].content.data_json, R"({"post_id":1})");
  EXPECT_EQ(page[0].content.link, std::optional<std::string>("/posts/1"));
  EXPECT_EQ(page[0].created_at_ms, 4);
  auto next = db.list_notifications(u, {10, raw(page[1].id)}, false);
  ASSERT_EQ(next.size(), 3u);
  EXPECT_EQ(next[0].id, ids[2]);
  EXPECT_TRUE(db.list_notifications(u, {0, std::nullopt}, false).empty());
  EXPECT_TRUE(db.list_notifications(u, {-1, std::nullopt}, false).empty());  // SQLite clamps to 0

  EXPECT_EQ(job(db, [&] { return db.mark_notification_read(u, theirs); }), MarkRead::not_found);
  EXPECT_EQ(job(db, [&] { return db.mark_notification_read(u, ids[0]); }), MarkRead::marked);
  EXPECT_EQ(job(db, [&] { return db.mark_notification_read(u, ids[0]); }), MarkRead::already_read);
  EXPECT_EQ(db.unread_count(u), 4);
  auto unread = db.list_notifications(u, {10, std::nullopt}, true);
  ASSERT_EQ(unread.size(), 4u);
  EXPECT_EQ(unread.back().id, ids[1]);
  EXPECT_TRUE(db.list_notifications(u, {10, std::nullopt}, false).back().read);
  using Counts = std::vector<std::pair<UserId, std::int64_t>>;
  EXPECT_EQ(db.unread_counts(), (Counts{{u, 4}, {other, 1}}));
  EXPECT_EQ(job(db, [&] { return db.mark_all_notifications_read(u); }), 4);
  EXPECT_EQ(job(db, [&] { return db.mark_all_notifications_read(u); }), 0);
  EXPECT_EQ(db.unread_count(u), 0);
  EXPECT_EQ(db.unread_count(other), 1);
  EXPECT_EQ(db.unread_counts(), (Counts{{other, 1}}));
  // A later one stays unread after "mark all".
  job(db, [&] { return db.insert_notifications({u}, content("later"), 20); });
  EXPECT_EQ(db.unread_count(u), 1);
}

TEST_F(PgSocialTest, OnlyTheRecipientSeesOrMarksANotification) {
  PgDatabase& db = *db_;
  const NotificationId id = job(db, [&] { return db.insert_notifications({UserId{1}}, content("for 1"), 1); })[0].id;
  EXPECT_EQ(job(db, [&] { return db.mark_notification_read(UserId{2}, id); }), MarkRead::not_found);
  EXPECT_EQ(job(db, [&] { return db.mark_notification_read(UserId{1}, NotificationId{raw(id) + 1}); }),
            MarkRead::not_found);
  EXPECT_EQ(job(db, [&] { return db.mark_notification_read(UserId{1}, NotificationId{0}); }), MarkRead::not_found);
  EXPECT_EQ(job(db, [&] { return db.mark_all_notifications_read(UserId{2}); }), 0);
  EXPECT_TRUE(db.list_notifications(UserId{2}, PageRequest{}, false).empty());
  EXPECT_EQ(db.unread_count(UserId{2}), 0);
  EXPECT_EQ(db.unread_count(UserId{1}), 1);  // the others' attempts marked nothing
  EXPECT_EQ(job(db, [&] { return db.mark_notification_read(UserId{1}, id); }), MarkRead::marked);
}

// What the test stored and marked read, as notification_store_test keeps it.
struct Note {
  std::int64_t id = 0;
  std::int64_t user = 0;
  std::int64_t seq = 0;
  std::string title;
};

class Model {
 public:
  explicit Model(PgDatabase& writer) : writer_(writer) {}

  void publish(const std::vector<std::int64_t>& users, const std::string& title) {
    std::vector<UserId> ids;
    for (std::int64_t u : users) ids.push_back(UserId{u});
    const NotificationContent c{"mention", title, "body of " + title, R"({"k":"v"})", "/x"};
    auto stored = job(writer_, [&] { return writer_.insert_notifications(ids, c, ++clock_); });
    ASSERT_EQ(stored.size(), users.size());
    for (const auto& n : stored) {
      ASSERT_EQ(raw(n.seq), ++last_seq_[raw(n.user)]);
      notes_.push_back({raw(n.id), raw(n.user), raw(n.seq), title});
    }
  }
  MarkRead mark(std::int64_t user, std::int64_t id) {
    MarkRead result = job(writer_, [&] { return writer_.mark_notification_read(UserId{user}, NotificationId{id}); });
    if (result == MarkRead::marked) read_.insert(id);
    return result;
  }
  std::int64_t mark_all(std::int64_t user) {
    std::int64_t n = job(writer_, [&] { return writer_.mark_all_notifications_read(UserId{user}); });
    for (const Note& note : notes_) {
      if (note.user == user) read_.insert(note.id);
    }
    return n;
  }

  // The user's notifications, newest first.
  std::vector<Note> of(std::int64_t user, bool unread_only = false) const {
    std::vector<Note> out;
    for (auto it = notes_.rbegin(); it != notes_.rend(); ++it) {
      if (it->user == user && !(unread_only && is_read(it->id))) out.push_back(*it);
    }
    return out;
  }
  bool is_read(std::int64_t id) const { return read_.contains(id); }
  std::int64_t unread(std::int64_t user) const { return static_cast<std::int64_t>(of(user, true).size()); }
  std::map<std::int64_t, std::int64_t> unread_counts() const {
    std::map<std::int64_t, std::int64_t> out;
    for (const Note& n : notes_) {
      if (!is_read(n.id)) ++out[n.user];
    }
    return out;
  }

 private:
  PgDatabase& writer_;
  std::vector<Note> notes_;
  std::set<std::int64_t> read_;
  std::map<std::int64_t, std::int64_t> last_seq_;
  std::int64_t clock_ = 1'700'000'000'000;
};

std::vector<std::int64_t> range(std::int64_t from, std::int64_t to) {
  std::vector<std::int64_t> out;
  for (std::int64_t u = from; u <= to; ++u) out.push_back(u);
  return out;
}

TEST_F(PgSocialTest, ListsCountsAndMarksAgreeWithAModel) {
  PgDatabase reader(url_);
  Model model(*db_);
  // Every page of the user's lists (7 a page, by cursor), the unread count
  // and the mailbox rows agree with the model.
  auto expect_same = [&](std::int64_t user) {
    SCOPED_TRACE("user " + std::to_string(user));
    for (bool unread_only : {false, true}) {
      std::vector<Note> want = model.of(user, unread_only);
      std::vector<NotificationRecord> got;
      PageRequest page{7, std::nullopt};
      for (;;) {
        auto part = reader.list_notifications(UserId{user}, page, unread_only);
        got.insert(got.end(), part.begin(), part.end());
        if (part.size() < 7) break;
        page.before = raw(part.back().id);
      }
      ASSERT_EQ(got.size(), want.size()) << "unread_only " << unread_only;
      for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(raw(got[i].id), want[i].id);
        EXPECT_EQ(raw(got[i].user), user);
        EXPECT_EQ(raw(got[i].seq), want[i].seq);
        EXPECT_EQ(got[i].content.title, want[i].title);
        EXPECT_EQ(got[i].content.data_json, R"({"k":"v"})");
        EXPECT_EQ(got[i].read, model.is_read(want[i].id));
      }
    }
    EXPECT_EQ(reader.unread_count(UserId{user}), model.unread(user));
    std::vector<Note> want = model.of(user);
    std::reverse(want.begin(), want.end());
    std::vector<std::pair<std::int64_t, std::int64_t>> want_events;
    for (const Note& n : want) want_events.emplace_back(n.seq, n.id);
    EXPECT_EQ(notification_events(user), want_events);
  };
  const std::vector<std::int64_t> watched{1, 2, 3, 500, 999};
  auto check = [&] {
    for (std::int64_t u : watched) expect_same(u);
    std::map<std::int64_t, std::int64_t> got;
    for (auto [user, n] : reader.unread_counts()) got[raw(user)] = n;
    EXPECT_EQ(got, model.unread_counts());
  };

  model.publish({1, 2, 3}, "a");
  model.publish({3, 1}, "b");
  model.publish(range(1, 1000), "wide 1");
  for (int i = 0; i < 9; ++i) model.publish({1, 2}, "small " + std::to_string(i));
  check();
  const std::int64_t first_of_1 = model.of(1).back().id;
  EXPECT_EQ(model.mark(1, first_of_1), MarkRead::marked);
  EXPECT_EQ(model.mark(1, first_of_1), MarkRead::already_read);
  EXPECT_EQ(model.mark_all(2), 11);
  EXPECT_EQ(model.mark_all(2), 0);
  check();

  model.publish({1, 500}, "late");
  model.publish(range(900, 1000), "wide 2");
  EXPECT_EQ(model.mark(500, model.of(500).back().id), MarkRead::marked);
  EXPECT_EQ(model.mark(500, model.of(500).front().id), MarkRead::marked);
  EXPECT_EQ(model.mark(3, model.of(3)[1].id), MarkRead::marked);
  check();
  EXPECT_EQ(model.mark_all(999), 2);
  model.publish({999, 2}, "after mark all");
  check();
}

// Two nodes' writers publish at once to overlapping recipients, named in
// opposite orders: the seq allocator's ascending lock order means they
// wait for each other, never deadlock (a deadlock would fail a job), and
// every user's seqs come out unique and gapless.
TEST_F(PgSocialTest, ConcurrentPublishersGetUniqueGaplessSeqs) {
  constexpr int kPublishes = 60;
  const std::vector<std::int64_t> users = range(1, 24);
  PgDatabase node_a(url_);
  PgDatabase node_b(url_);
  std::atomic<int> failures{0};
  std::map<std::int64_t, std::vector<std::int64_t>> seqs_a, seqs_b;  // per user, as returned
  auto publisher = [&](PgDatabase& db, bool reversed, std::map<std::int64_t, std::vector<std::int64_t>>& seqs) {
    for (int i = 0; i < kPublishes; ++i) {
      std::vector<UserId> to;
      for (std::int64_t u : users) {
        if ((u + i) % 3 != 0) to.push_back(UserId{u});  // a different overlap each time
      }
      if (reversed) std::reverse(to.begin(), to.end());
      try {
        auto rows = job(db, [&] { return db.insert_notifications(to, content("n" + std::to_string(i)), i); });
        for (const auto& n : rows) seqs[raw(n.user)].push_back(raw(n.seq));
      } catch (const StorageError& e) {
        ADD_FAILURE() << e.what();
        ++failures;
        db.rollback();
      }
    }
  };
  std::thread a([&] { publisher(node_a, false, seqs_a); });
  std::thread b([&] { publisher(node_b, true, seqs_b); });
  a.join();
  b.join();
  ASSERT_EQ(failures.load(), 0);

  PgConnection c(url_);
  for (std::int64_t u : users) {
    SCOPED_TRACE("user " + std::to_string(u));
    std::vector<std::int64_t> returned = seqs_a[u];
    returned.insert(returned.end(), seqs_b[u].begin(), seqs_b[u].end());
    std::sort(returned.begin(), returned.end());
    std::vector<std::int64_t> want = range(1, static_cast<std::int64_t>(returned.size()));
    EXPECT_EQ(returned, want);
    auto stored = notification_events(u);
    ASSERT_EQ(stored.size(), want.size());
    for (std::size_t i = 0; i < stored.size(); ++i) EXPECT_EQ(stored[i].first, want[i]);
    EXPECT_EQ(c.exec("SELECT last_seq FROM mailbox_heads WHERE user_id = $1", {u}).integer(0, 0),
              static_cast<std::int64_t>(want.size()));
    // Within each node, a user's seqs rise in its commit order.
    EXPECT_TRUE(std::is_sorted(seqs_a[u].begin(), seqs_a[u].end()));
    EXPECT_TRUE(std::is_sorted(seqs_b[u].begin(), seqs_b[u].end()));
  }
  EXPECT_EQ(c.exec("SELECT count(DISTINCT id) = count(*) FROM notifications").text(0, 0), "t");
}

// ---- social rows ----

TEST_F(PgSocialTest, FollowsAndTheOnceLedger) {
  PgDatabase& db = *db_;
  const UserId a{1}, b{2}, c{3};
  db.ensure_user(a, "alice", 1);
  EXPECT_TRUE(job(db, [&] { return db.follow(a, b, 5); }));
  EXPECT_FALSE(job(db, [&] { return db.follow(a, b, 6); }));
  EXPECT_TRUE(job(db, [&] { return db.follow(c, b, 7); }));
  EXPECT_TRUE(job(db, [&] { return db.follow(a, c, 8); }));
  EXPECT_TRUE(job(db, [&] { return db.note_once(OnceKind::follow, raw(b), a); }));
  EXPECT_FALSE(job(db, [&] { return db.note_once(OnceKind::follow, raw(b), a); }));
  EXPECT_TRUE(job(db, [&] { return db.note_once(OnceKind::like, raw(b), a); }));  // another kind
  EXPECT_TRUE(job(db, [&] { return db.note_once(OnceKind::follow, raw(b), c); }));  // another actor
  auto followers = db.list_followers(b, {10, std::nullopt});
  ASSERT_EQ(followers.size(), 2u);
  EXPECT_EQ(followers[0].user, c);
  EXPECT_EQ(followers[0].username, "user3");  // no row yet
  EXPECT_EQ(followers[0].followed_at_ms, 7);
  EXPECT_EQ(followers[1].user, a);
  EXPECT_EQ(followers[1].username, "alice");
  EXPECT_EQ(followers[1].followed_at_ms, 5);  // the first follow's time: the repeat changed nothing
  EXPECT_EQ(db.list_followers(b, {10, 3}).size(), 1u);
  EXPECT_EQ(db.list_followers(b, {1, std::nullopt}).size(), 1u);
  EXPECT_EQ(db.list_followers(b, {-1, std::nullopt}).size(), 2u);  // SQLite: a negative LIMIT is none
  auto following = db.list_following(a, {10, std::nullopt});
  ASSERT_EQ(following.size(), 2u);
  EXPECT_EQ(following[0].user, c);
  EXPECT_EQ(following[1].user, b);
  EXPECT_EQ(following[1].username, "user2");
  EXPECT_EQ(db.list_following(a, {10, raw(c)})[0].user, b);
  using Edges = std::vector<std::pair<UserId, UserId>>;
  EXPECT_EQ(db.load_follows(), (Edges{{a, b}, {a, c}, {c, b}}));
  EXPECT_EQ(db.get_user(a)->following_count, 2);
  EXPECT_TRUE(job(db, [&] { return db.unfollow(a, b); }));
  EXPECT_FALSE(job(db, [&] { return db.unfollow(a, b); }));
  EXPECT_EQ(db.get_user(a)->following_count, 1);
  EXPECT_EQ(db.list_followers(b, {10, std::nullopt}).size(), 1u);
  // Unfollowing never resets the ledger.
  EXPECT_FALSE(job(db, [&] { return db.note_once(OnceKind::follow, raw(b), a); }));
}

TEST_F(PgSocialTest, PostsLikesCommentsKeepTextByteForByte) {
  PgDatabase& db = *db_;
  const std::string text = "'; DROP TABLE posts; -- \"q\" \\ $1 \xE2\x98\x83 \xF0\x9F\x98\x80 end";
  auto post = job(db, [&] { return db.create_post(UserId{1}, text, 100); });
  EXPECT_EQ(post.content, text);
  EXPECT_EQ(post.likes_count, 0);
  EXPECT_TRUE(job(db, [&] { return db.like_post(post.id, UserId{2}, 101); }));
  EXPECT_FALSE(job(db, [&] { return db.like_post(post.id, UserId{2}, 102); }));
  EXPECT_TRUE(job(db, [&] { return db.like_post(post.id, UserId{3}, 102); }));
  auto top = job(db, [&] { return db.add_comment(post.id, UserId{2}, std::nullopt, text, 103); });
  auto reply = job(db, [&] { return db.add_comment(post.id, UserId{1}, top.id, "re", 104); });
  EXPECT_LT(raw(top.id), raw(reply.id));
  auto stored = db.get_post(post.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->id, post.id);
  EXPECT_EQ(stored->author, UserId{1});
  EXPECT_EQ(stored->content, text);
  EXPECT_EQ(stored->created_at_ms, 100);
  EXPECT_EQ(stored->likes_count, 2);
  EXPECT_EQ(stored->comments_count, 2);
  auto got_reply = db.get_comment(reply.id);
  ASSERT_TRUE(got_reply);
  EXPECT_EQ(got_reply->parent, std::optional<CommentId>(top.id));
  EXPECT_EQ(got_reply->post, post.id);
  EXPECT_EQ(got_reply->author, UserId{1});
  EXPECT_EQ(got_reply->created_at_ms, 104);
  EXPECT_EQ(db.get_comment(top.id)->parent, std::nullopt);
  EXPECT_FALSE(db.get_comment(CommentId{999}));
  auto comments = db.list_comments(post.id, {1, std::nullopt});
  ASSERT_EQ(comments.size(), 1u);
  EXPECT_EQ(comments[0].id, reply.id);
  auto older = db.list_comments(post.id, {5, raw(reply.id)});
  ASSERT_EQ(older.size(), 1u);
  EXPECT_EQ(older[0].content, text);
  EXPECT_EQ(db.list_comments(post.id, {-1, std::nullopt}).size(), 2u);  // SQLite: a negative LIMIT is none
  EXPECT_TRUE(db.list_comments(PostId{999}, {5, std::nullopt}).empty());
  EXPECT_TRUE(job(db, [&] { return db.unlike_post(post.id, UserId{2}); }));
  EXPECT_FALSE(job(db, [&] { return db.unlike_post(post.id, UserId{2}); }));
  EXPECT_EQ(db.get_post(post.id)->likes_count, 1);
  EXPECT_FALSE(db.get_post(PostId{999}));
}

TEST_F(PgSocialTest, NotificationTextRoundTrips) {
  PgDatabase& db = *db_;
  const NotificationContent c{"mention", "\"quoted\" 'single' \\ \xE2\x98\x83",
                              "'); DELETE FROM notifications; -- \xF0\x9F\x98\x80",
                              R"({"text":"a \"b\" \\ \u00e9","n":[1,2]})", std::nullopt};
  auto rows = job(db, [&] { return db.insert_notifications({UserId{4}}, c, 5); });
  auto listed = db.list_notifications(UserId{4}, {10, std::nullopt}, false);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id, rows[0].id);
  EXPECT_EQ(listed[0].content.type, c.type);
  EXPECT_EQ(listed[0].content.title, c.title);
  EXPECT_EQ(listed[0].content.message, c.message);
  EXPECT_EQ(listed[0].content.data_json, c.data_json);
  EXPECT_EQ(listed[0].content.link, std::nullopt);
}

// PostgreSQL's text holds no NUL byte; post and comment contents and the
// notification fields are stored escaped (pg_text.hpp), so text with NUL
// and 0x01 bytes, anywhere and together, comes back byte for byte from
// every read, as SQLite's does.
TEST_F(PgSocialTest, TextWithNulAndSohBytesRoundTripsExactly) {
  PgDatabase& db = *db_;
  using namespace std::string_literals;
  const std::vector<std::string> texts{
      "before\0after"s, "\0"s,        "\x01"s,         "\0starts"s, "ends\0"s,
      "\x01starts"s,    "ends\x01"s,  "\x01" "0"s,     "\x01\x01"s, "\0\x01 both \x01" "0\0"s};
  std::int64_t at = 1;
  for (const std::string& text : texts) {
    SCOPED_TRACE(::testing::PrintToString(text));
    auto post = job(db, [&] { return db.create_post(UserId{1}, text, at++); });
    EXPECT_EQ(post.content, text);
    EXPECT_EQ(db.get_post(post.id)->content, text);
    auto comment = job(db, [&] { return db.add_comment(post.id, UserId{2}, std::nullopt, text, at++); });
    auto reply = job(db, [&] { return db.add_comment(post.id, UserId{1}, comment.id, "re:" + text, at++); });
    EXPECT_EQ(comment.content, text);
    EXPECT_EQ(db.get_comment(comment.id)->content, text);
    auto comments = db.list_comments(post.id, {10, std::nullopt});
    ASSERT_EQ(comments.size(), 2u);
    EXPECT_EQ(comments[0].id, reply.id);
    EXPECT_EQ(comments[0].content, "re:" + text);
    EXPECT_EQ(comments[1].content, text);
    EXPECT_EQ(db.get_post(post.id)->comments_count, 2);
  }

  // Every notification field, the optional link too.
  std::vector<NotificationContent> contents;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const std::string& t = texts[i];
    contents.push_back({"type" + t, t, t + "message", R"({"k":")" + t + R"("})",
                        std::optional<std::string>("/link" + t)});
  }
  contents.push_back({"\0"s, "\x01"s, ""s, "\x01" "0"s, std::nullopt});
  const UserId bob{7};
  for (const NotificationContent& c : contents) {
    auto rows = job(db, [&] { return db.insert_notifications({bob}, c, at++); });
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].content.title, c.title);
  }
  auto listed = db.list_notifications(bob, {100, std::nullopt}, false);
  ASSERT_EQ(listed.size(), contents.size());
  MailboxRetention everything;
  everything.max_events = 1'000'000;
  auto page = db.read_mailbox(bob, Seq{0}, everything);
  ASSERT_EQ(page.events.size(), contents.size());
  for (std::size_t i = 0; i < contents.size(); ++i) {
    SCOPED_TRACE(i);
    const NotificationContent& want = contents[i];
    const NotificationContent& got = listed[contents.size() - 1 - i].content;  // newest first
    EXPECT_EQ(got.type, want.type);
    EXPECT_EQ(got.title, want.title);
    EXPECT_EQ(got.message, want.message);
    EXPECT_EQ(got.data_json, want.data_json);
    EXPECT_EQ(got.link, want.link);
    const auto* note = std::get_if<MailboxNotification>(&page.events[i].body);
    ASSERT_NE(note, nullptr);
    EXPECT_EQ(note->type, want.type);
    EXPECT_EQ(note->title, want.title);
    EXPECT_EQ(note->message, want.message);
    EXPECT_EQ(note->data_json, want.data_json);
    EXPECT_EQ(note->link, want.link);
  }

  // Stored escaped, as pg_text.hpp spells it; plain text as it is.
  PgConnection check(url_);
  auto posts = check.exec("SELECT content FROM posts ORDER BY id");
  ASSERT_EQ(posts.rows(), static_cast<int>(texts.size()));
  EXPECT_EQ(posts.text(0, 0), "before\x01" "0after"s);
  EXPECT_EQ(posts.text(2, 0), "\x01\x01"s);
  EXPECT_EQ(check.exec("SELECT title FROM notifications WHERE title = 'ends\x01\x01'").rows(), 1);
  EXPECT_EQ(job(db, [&] { return db.create_post(UserId{1}, "plain", at++); }).content, "plain");
  EXPECT_EQ(check.exec("SELECT 1 FROM posts WHERE content = 'plain'").rows(), 1);
}

TEST_F(PgSocialTest, RegisteredNamesAreFoundCaseInsensitively) {
  PgDatabase& db = *db_;
  auto carol = db.create_account("Carol", "hash", "", 1);
  auto dave = db.create_account("D'a\"ve\xC3\xA9", "hash", "", 1);
  ASSERT_TRUE(carol && dave);
  db.ensure_user(UserId{50}, "tokenonly", 1);  // not a registered account
  // In the order given; a name with a NUL byte names nobody (it is not cut
  // short into "carol").
  auto found = db.find_registered({"d'a\"ve\xC3\xA9", "carol", "tokenonly", "nobody", std::string("carol\0x", 7),
                                   "carol"});
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].first, dave->id);
  EXPECT_EQ(found[0].second, "D'a\"ve\xC3\xA9");
  EXPECT_EQ(found[1].first, carol->id);
  EXPECT_EQ(found[1].second, "Carol");
  EXPECT_EQ(found[2].first, carol->id);  // asked twice, found twice, as SQLite
  EXPECT_TRUE(db.find_registered({}).empty());
}

}  // namespace
}  // namespace herald::store::pg
