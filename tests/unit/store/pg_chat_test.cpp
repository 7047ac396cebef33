// PgDatabase's chats, mailbox and chat history (pg_chat.cpp) against a real
// PostgreSQL started by the test (postgres_server.hpp), each test on a
// database of its own (pg_test_database.hpp). The checks mirror SQLite's
// (sqlite_database_test.cpp, mailbox_read_test.cpp, history_test.cpp), and
// add what only a shared database has: two PgDatabase ("nodes") writing at
// once keep every user's seqs unique and gapless, and a client_msg_id
// repeated on both at once is stored once.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "mailbox_checks.hpp"
#include "pg_test_database.hpp"
#include "postgres_server.hpp"
#include "store/pg/pg_connection.hpp"
#include "store/pg/pg_database.hpp"
#include "store/pg/pg_schema.hpp"

namespace herald::store::pg {
namespace {

using test::everything;
using test::one_to;
using test::seqs_of;

constexpr MessageId kNewest{std::numeric_limits<std::int64_t>::max()};

// One write job, as the StorageRunner runs it: a transaction, a savepoint.
ChatInsertResult chat(PgDatabase& db, std::int64_t from, std::int64_t to, const std::string& text,
                      std::optional<std::string> client_msg_id = std::nullopt,
                      std::int64_t at = 1000) {
  db.begin();
  db.savepoint();
  auto r = db.insert_chat({UserId{from}, UserId{to}, text, std::move(client_msg_id), at});
  db.release_savepoint();
  db.commit();
  return r;
}

// The seqs of a user's mailbox, in the order read.
class PgChatTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (test::have_postgres()) server_ = std::make_unique<test::PostgresServer>();
  }
  static void TearDownTestSuite() { server_.reset(); }
  void SetUp() override {
    if (!server_)
      GTEST_SKIP() << "PostgreSQL 15 is not installed (scripts/install-deps.sh installs it)";
    url_ = test::fresh_database(*server_);
  }
  static std::unique_ptr<test::PostgresServer> server_;
  std::string url_;
};
std::unique_ptr<test::PostgresServer> PgChatTest::server_;

// ---- storing chats ----

TEST_F(PgChatTest, TheMigrationAppliesOnce) {
  PgDatabase first(url_);
  PgDatabase second(url_);  // finds the schema up to date
  PgConnection check(url_);
  EXPECT_EQ(check.exec("SELECT count(*) FROM herald_schema").integer(0, 0),
            static_cast<std::int64_t>(kPgMigrations.size()));
  chat(first, 1, 2, "hi");
  EXPECT_EQ(raw(second.last_seq(UserId{2})), 1);  // one set of tables
}

// sqlite_database_test.cpp: ChatAdvancesBothMailboxesAndIsIdempotent.
TEST_F(PgChatTest, ChatAdvancesBothMailboxesAndIsIdempotent) {
  PgDatabase db(url_);
  db.ensure_user(UserId{1}, "a", 1);
  db.ensure_user(UserId{2}, "b", 1);
  auto first = chat(db, 1, 2, "hi", "m1", 10);
  EXPECT_FALSE(first.duplicate);
  EXPECT_EQ(raw(first.sender_seq), 1);
  EXPECT_EQ(raw(first.recipient_seq), 1);
  EXPECT_EQ(first.created_at_ms, 10);
  auto second = chat(db, 2, 1, "yo", std::nullopt, 30);
  EXPECT_EQ(raw(second.sender_seq), 2);
  EXPECT_EQ(raw(second.recipient_seq), 2);
  EXPECT_EQ(raw(db.last_seq(UserId{1})), 2);
  EXPECT_EQ(raw(db.get_user(UserId{2})->last_seq), 2);
}

// A repeat of (from, client_msg_id) answers with the first message's values
// and stores and takes nothing; the same id from another sender is new.
TEST_F(PgChatTest, ARepeatedClientMsgIdReturnsTheFirstAndTakesNoSeq) {
  PgDatabase db(url_);
  auto first = chat(db, 1, 2, "hi", "m1", 10);
  auto repeat = chat(db, 1, 2, "changed", "m1", 20);
  EXPECT_TRUE(repeat.duplicate);
  EXPECT_EQ(raw(repeat.id), raw(first.id));
  EXPECT_EQ(raw(repeat.sender_seq), 1);
  EXPECT_EQ(raw(repeat.recipient_seq), 1);
  EXPECT_EQ(repeat.created_at_ms, 10);
  EXPECT_EQ(raw(db.last_seq(UserId{1})), 1);  // no seq taken
  EXPECT_EQ(raw(db.last_seq(UserId{2})), 1);
  auto page = db.read_mailbox(UserId{2}, Seq{0}, everything());
  ASSERT_EQ(page.events.size(), 1u);
  EXPECT_EQ(std::get<MailboxChat>(page.events[0].body).text, "hi");

  auto other_sender = chat(db, 2, 1, "mine", "m1", 30);  // keys are per sender
  EXPECT_FALSE(other_sender.duplicate);
  EXPECT_EQ(raw(other_sender.sender_seq), 2);
  // Repeated inside one transaction, as two jobs of one batch.
  db.begin();
  auto in_batch = db.insert_chat({UserId{3}, UserId{1}, "x", std::string("b"), 40});
  auto again = db.insert_chat({UserId{3}, UserId{1}, "x", std::string("b"), 41});
  db.commit();
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(raw(again.id), raw(in_batch.id));
  EXPECT_EQ(raw(db.last_seq(UserId{3})), 1);
}

TEST_F(PgChatTest, ChatsTakeGaplessSeqsPerUser) {
  PgDatabase db(url_);
  std::map<std::int64_t, std::vector<std::int64_t>> seqs;  // user -> seqs handed out
  const std::vector<std::pair<std::int64_t, std::int64_t>> pairs = {
      {1, 2}, {2, 3}, {3, 1}, {4, 1}, {2, 1}};
  db.begin();  // several jobs in one group commit
  for (int i = 0; i < 40; ++i) {
    auto [from, to] = pairs[i % pairs.size()];
    db.savepoint();
    auto r = db.insert_chat({UserId{from}, UserId{to}, "c" + std::to_string(i), std::nullopt, i});
    db.release_savepoint();
    seqs[from].push_back(raw(r.sender_seq));
    seqs[to].push_back(raw(r.recipient_seq));
  }
  db.commit();
  for (auto& [user, got] : seqs) {
    EXPECT_EQ(got, one_to(static_cast<std::int64_t>(got.size()))) << "user " << user;
    EXPECT_EQ(raw(db.last_seq(UserId{user})), static_cast<std::int64_t>(got.size()));
    EXPECT_EQ(seqs_of(db.read_mailbox(UserId{user}, Seq{0}, everything())), got);
  }
  EXPECT_EQ(raw(db.last_seq(UserId{99})), 0);
}

// sqlite_database_test.cpp: RolledBackChatLeavesNoSeqGap,
// RollbackKeepsIdempotencyOfEarlierJobs, RolledBackJobUndoesItsRowsAndItsChats.
TEST_F(PgChatTest, ARolledBackJobGivesItsSeqsBack) {
  {
    PgDatabase db(url_);
    db.ensure_user(UserId{1}, "a", 1);
    db.ensure_user(UserId{2}, "b", 1);
    db.begin();
    db.savepoint();
    auto kept = db.insert_chat({UserId{1}, UserId{2}, "kept", std::string("k"), 10});
    EXPECT_EQ(raw(kept.sender_seq), 1);
    db.release_savepoint();
    db.savepoint();
    db.add_user_if_absent(UserId{3}, "c", 2);
    EXPECT_EQ(
        raw(db.insert_chat({UserId{1}, UserId{2}, "undone", std::string("u"), 11}).sender_seq), 2);
    db.insert_chat({UserId{1}, UserId{3}, "undone too", std::nullopt, 11});
    db.rollback_to_savepoint();
    db.savepoint();
    auto after = db.insert_chat({UserId{2}, UserId{1}, "next", std::nullopt, 12});
    auto again = db.insert_chat({UserId{1}, UserId{2}, "kept", std::string("k"), 13});
    auto retry = db.insert_chat({UserId{1}, UserId{2}, "undone", std::string("u"), 14});
    db.release_savepoint();
    db.commit();
    EXPECT_EQ(raw(after.sender_seq), 2);     // user 2: "kept" was 1
    EXPECT_EQ(raw(after.recipient_seq), 2);  // user 1: 2 again, not 3
    EXPECT_TRUE(again.duplicate);
    EXPECT_EQ(raw(again.id), raw(kept.id));
    EXPECT_FALSE(retry.duplicate);  // the rolled-back one was never stored
    EXPECT_GT(raw(retry.id), raw(after.id));
    EXPECT_EQ(raw(retry.sender_seq), 3);
    EXPECT_FALSE(db.get_user(UserId{3}));
    EXPECT_EQ(raw(db.last_seq(UserId{3})), 0);

    db.begin();
    db.insert_chat({UserId{1}, UserId{2}, "lost", std::nullopt, 15});
    db.rollback();  // a whole failed group commit
    EXPECT_EQ(raw(db.last_seq(UserId{1})), 3);
  }
  PgDatabase db(url_);
  EXPECT_EQ(raw(db.last_seq(UserId{1})), 3);
  EXPECT_EQ(raw(db.get_user(UserId{2})->last_seq), 3);
  EXPECT_EQ(seqs_of(db.read_mailbox(UserId{1}, Seq{0}, everything())), one_to(3));
  EXPECT_EQ(raw(chat(db, 1, 2, "again", std::nullopt, 16).sender_seq), 4);
  PgConnection check(url_);
  EXPECT_EQ(check.exec("SELECT count(*) FROM messages").integer(0, 0), 4);
  EXPECT_EQ(check.exec("SELECT count(*) FROM mailbox").integer(0, 0), 8);
}

// Two nodes, each with its own connection, store chats at once between
// overlapping users, each pair in both directions: every user's seqs come
// out unique and gapless, each chat is in both mailboxes under the seqs it
// was given, and no job fails (the locks are taken smaller user id first).
TEST_F(PgChatTest, TwoNodesWritingAtOnceKeepSeqsUniqueAndGapless) {
  PgDatabase node_a(url_);
  PgDatabase node_b(url_);
  constexpr int kPerNode = 300;
  const std::vector<std::pair<std::int64_t, std::int64_t>> pairs = {{1, 2}, {2, 3}, {3, 4}, {4, 1},
                                                                    {1, 3}, {2, 4}, {3, 3}};
  std::promise<void> go;
  std::shared_future<void> start = go.get_future().share();
  std::atomic<int> failures{0};
  auto node = [&](PgDatabase& db, bool reversed, std::vector<ChatInsert>& sent,
                  std::vector<ChatInsertResult>& results) {
    start.wait();
    for (int i = 0; i < kPerNode; ++i) {
      auto [a, b] = pairs[(i * (reversed ? 3 : 1)) % pairs.size()];
      ChatInsert c{UserId{reversed ? b : a}, UserId{reversed ? a : b}, std::to_string(i),
                   std::nullopt, i};
      try {
        db.begin();
        db.savepoint();
        auto r = db.insert_chat(c);
        db.release_savepoint();
        db.commit();
        sent.push_back(c);
        results.push_back(r);
      } catch (const std::exception& e) {
        ++failures;
        ADD_FAILURE() << e.what();
        try {
          db.rollback();
        } catch (...) {
        }
      }
    }
  };
  std::vector<ChatInsert> sent_a, sent_b;
  std::vector<ChatInsertResult> results_a, results_b;
  std::thread a([&] { node(node_a, false, sent_a, results_a); });
  std::thread b([&] { node(node_b, true, sent_b, results_b); });
  go.set_value();
  a.join();
  b.join();
  ASSERT_EQ(failures.load(), 0);

  // Each user's seqs: unique and 1..n; each (user, seq) names its chat.
  std::map<std::int64_t, std::map<std::int64_t, std::int64_t>> expected;  // user -> seq -> id
  auto note = [&](std::int64_t user, Seq seq, MessageId id) {
    EXPECT_TRUE(expected[user].emplace(raw(seq), raw(id)).second)
        << "user " << user << " seq " << raw(seq);
  };
  for (auto* run : {&sent_a, &sent_b}) {
    const auto& results = run == &sent_a ? results_a : results_b;
    for (std::size_t i = 0; i < run->size(); ++i) {
      note(raw((*run)[i].from), results[i].sender_seq, results[i].id);
      note(raw((*run)[i].to), results[i].recipient_seq, results[i].id);
    }
  }
  for (auto& [user, by_seq] : expected) {
    const auto n = static_cast<std::int64_t>(by_seq.size());
    EXPECT_EQ(by_seq.rbegin()->first, n) << "a gap in user " << user << "'s seqs";
    EXPECT_EQ(raw(node_a.last_seq(UserId{user})), n);
    auto page = node_b.read_mailbox(UserId{user}, Seq{0}, everything());
    ASSERT_EQ(seqs_of(page), one_to(n));
    for (const auto& e : page.events) {
      EXPECT_EQ(raw(std::get<MailboxChat>(e.body).id), by_seq[raw(e.seq)]);
    }
  }
}

// Lock order holds within a chat, not across the jobs of a group commit:
// two nodes' batches that take two pairs in opposite orders deadlock.
// PostgreSQL fails one of the statements; that job alone fails (rolled back
// to its savepoint), both transactions commit the rest, seqs stay gapless.
TEST_F(PgChatTest, ADeadlockAcrossTwoBatchesFailsOneJobOnly) {
  PgDatabase node_a(url_);
  PgDatabase node_b(url_);
  auto job = [](PgDatabase& db, std::int64_t from, std::int64_t to) {
    db.savepoint();
    try {
      db.insert_chat({UserId{from}, UserId{to}, "x", std::nullopt, 1});
      db.release_savepoint();
      return true;
    } catch (const StorageError&) {
      db.rollback_to_savepoint();
      return false;
    }
  };
  node_a.begin();
  node_b.begin();
  ASSERT_TRUE(job(node_a, 1, 2));
  ASSERT_TRUE(job(node_b, 3, 4));
  // Each batch's second job wants the pair the other holds.
  auto a_second = std::async(std::launch::async, [&] {
    bool ok = job(node_a, 4, 3);
    node_a.commit();
    return ok;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a waits for b
  bool b_ok = job(node_b, 2, 1);
  node_b.commit();
  bool a_ok = a_second.get();
  EXPECT_NE(a_ok, b_ok);  // exactly one job failed
  for (std::int64_t user = 1; user <= 4; ++user) {
    // Users 1 and 2: a's first chat, and b's second if it stood; 3 and 4 the reverse.
    const std::int64_t n = 1 + ((user <= 2 ? b_ok : a_ok) ? 1 : 0);
    EXPECT_EQ(seqs_of(node_a.read_mailbox(UserId{user}, Seq{0}, everything())), one_to(n))
        << "user " << user;
  }
}

// The same (from, client_msg_id) sent to two nodes at once, many times:
// each is stored once, both answers name it, and the losing node takes no
// seq (the sender's seqs stay gapless).
TEST_F(PgChatTest, ARepeatOnTwoNodesAtOnceIsStoredOnce) {
  PgDatabase node_a(url_);
  PgDatabase node_b(url_);
  constexpr int kKeys = 200;
  std::promise<void> go;
  std::shared_future<void> start = go.get_future().share();
  auto node = [&](PgDatabase& db, std::vector<ChatInsertResult>& results) {
    start.wait();
    for (int i = 0; i < kKeys; ++i) {
      try {
        results.push_back(chat(db, 1, 2, "m" + std::to_string(i), "key" + std::to_string(i), i));
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
        return;
      }
    }
  };
  std::vector<ChatInsertResult> a_results, b_results;
  std::thread a([&] { node(node_a, a_results); });
  std::thread b([&] { node(node_b, b_results); });
  go.set_value();
  a.join();
  b.join();
  ASSERT_EQ(a_results.size(), static_cast<std::size_t>(kKeys));
  ASSERT_EQ(b_results.size(), static_cast<std::size_t>(kKeys));
  for (int i = 0; i < kKeys; ++i) {
    EXPECT_EQ(raw(a_results[i].id), raw(b_results[i].id)) << i;
    EXPECT_EQ(raw(a_results[i].sender_seq), raw(b_results[i].sender_seq)) << i;
    EXPECT_NE(a_results[i].duplicate, b_results[i].duplicate) << i;  // one stored it
  }
  EXPECT_EQ(raw(node_a.last_seq(UserId{1})), kKeys);
  EXPECT_EQ(raw(node_a.last_seq(UserId{2})), kKeys);
  EXPECT_EQ(seqs_of(node_b.read_mailbox(UserId{1}, Seq{0}, everything())), one_to(kKeys));
}

// ---- the mailbox ----

// mailbox_read_test.cpp: EveryChatOnceInOrder... (the one place PG has).
TEST_F(PgChatTest, TheMailboxReplaysEveryEventInOrderAfterASeq) {
  PgDatabase writer(url_);
  PgDatabase reader(url_);
  constexpr int kChats = 50;
  writer.begin();
  for (int id = 1; id <= kChats; ++id) {
    bool from_1 = id % 2 == 1;
    writer.insert_chat({UserId{from_1 ? 1 : 2}, UserId{from_1 ? 2 : 1}, "c" + std::to_string(id),
                        std::nullopt, 1000 + id});
  }
  writer.commit();
  chat(writer, 3, 2, "not user 1's", std::nullopt, 5000);

  auto page = reader.read_mailbox(UserId{1}, Seq{0}, everything());
  EXPECT_FALSE(page.resync);
  ASSERT_EQ(page.events.size(), static_cast<std::size_t>(kChats));
  std::int64_t first_id = 0;
  for (int i = 0; i < kChats; ++i) {
    const auto& e = page.events[i];
    ASSERT_EQ(raw(e.seq), i + 1);
    const auto* c = std::get_if<MailboxChat>(&e.body);
    ASSERT_TRUE(c);
    if (i == 0) first_id = raw(c->id);
    EXPECT_EQ(raw(c->id), first_id + i);
    EXPECT_EQ(c->text, "c" + std::to_string(i + 1));
    EXPECT_EQ(raw(c->from), (i % 2 == 0) ? 1 : 2);
    EXPECT_EQ(raw(c->to), (i % 2 == 0) ? 2 : 1);
    EXPECT_EQ(c->created_at_ms, 1000 + i + 1);
  }
  // After a seq: only the later ones.
  auto tail = reader.read_mailbox(UserId{1}, Seq{kChats - 3}, everything());
  ASSERT_EQ(tail.events.size(), 3u);
  EXPECT_EQ(raw(tail.events[0].seq), kChats - 2);
  EXPECT_FALSE(tail.resync);
  auto none = reader.read_mailbox(UserId{1}, Seq{kChats}, everything());
  EXPECT_TRUE(none.events.empty());
  EXPECT_FALSE(none.resync);
  // User 2 sees the same chats and user 3's under its own seqs.
  EXPECT_EQ(seqs_of(reader.read_mailbox(UserId{2}, Seq{0}, everything())), one_to(kChats + 1));
  // A user with no mailbox: nothing, and no resync from 0.
  auto empty = reader.read_mailbox(UserId{9}, Seq{0}, everything());
  EXPECT_TRUE(empty.events.empty());
  EXPECT_FALSE(empty.resync);
}

// mailbox_read_test.cpp: RetentionCutsTheReplayAndSaysSo.
TEST_F(PgChatTest, RetentionCutsTheReplayAndSaysSo) {
  PgDatabase writer(url_);
  PgDatabase reader(url_);
  writer.begin();
  for (int id = 1; id <= 20; ++id) {
    writer.insert_chat({UserId{1}, UserId{2}, "c" + std::to_string(id), std::nullopt, id * 1000});
  }
  writer.commit();
  MailboxRetention ten;
  ten.max_events = 10;
  auto newest = reader.read_mailbox(UserId{1}, Seq{0}, ten);
  EXPECT_TRUE(newest.resync);
  ASSERT_EQ(newest.events.size(), 10u);
  EXPECT_EQ(raw(newest.events.front().seq), 11);
  EXPECT_FALSE(reader.read_mailbox(UserId{1}, Seq{10}, ten).resync);  // all of it fits

  MailboxRetention recent = everything();
  recent.min_created_at_ms = 15'000;  // chats 1..14 are too old
  auto young = reader.read_mailbox(UserId{1}, Seq{0}, recent);
  EXPECT_TRUE(young.resync);
  ASSERT_EQ(young.events.size(), 6u);
  EXPECT_EQ(raw(young.events.front().seq), 15);
  EXPECT_FALSE(reader.read_mailbox(UserId{1}, Seq{14}, recent).resync);

  auto beyond = reader.read_mailbox(UserId{1}, Seq{99}, everything());
  EXPECT_TRUE(beyond.resync);  // a seq this mailbox never had
  EXPECT_TRUE(beyond.events.empty());
}

// mailbox_read_test.cpp: NotificationsShareTheSeqs... The notification is
// written as pg_social.cpp's insert_notifications writes one (a seq from
// mailbox_heads, a notifications row, a kind 2 mailbox row), by SQL here so
// this test depends on pg_chat.cpp alone.
TEST_F(PgChatTest, NotificationsShareTheSeqsAndTheReplayReadsThem) {
  PgDatabase db(url_);
  chat(db, 2, 1, "hi", std::nullopt, 1);  // user 1's seq 1
  PgConnection other(url_);
  other.run("BEGIN");
  auto head = other.exec(
      "INSERT INTO mailbox_heads (user_id, last_seq) VALUES (1, 1) ON CONFLICT (user_id)"
      " DO UPDATE SET last_seq = mailbox_heads.last_seq + 1 RETURNING last_seq");
  const std::int64_t seq = head.integer(0, 0);
  ASSERT_EQ(seq, 2);
  auto row = other.exec(
      "INSERT INTO notifications"
      " (user_id, seq, type, title, message, data, link, read, created_at) VALUES"
      " (1, $1, 'new_follower', 'New follower', 'b followed you', $2, '/users/2', true, 5)"
      " RETURNING id",
      {seq, std::string("{\"follower_id\":2}")});
  const std::int64_t id = row.integer(0, 0);
  other.exec(
      "INSERT INTO mailbox (user_id, seq, kind, ref_id, created_at) VALUES (1, $1, 2, $2, 5)",
      {seq, id});
  other.run("COMMIT");

  auto page = db.read_mailbox(UserId{1}, Seq{0}, everything());
  ASSERT_EQ(page.events.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<MailboxChat>(page.events[0].body));
  const auto* n = std::get_if<MailboxNotification>(&page.events[1].body);
  ASSERT_TRUE(n);
  EXPECT_EQ(raw(page.events[1].seq), 2);
  EXPECT_EQ(n->id, id);
  EXPECT_EQ(n->type, "new_follower");
  EXPECT_EQ(n->title, "New follower");
  EXPECT_EQ(n->message, "b followed you");
  EXPECT_EQ(n->data_json, "{\"follower_id\":2}");
  EXPECT_EQ(n->link, "/users/2");
  EXPECT_TRUE(n->read);
  EXPECT_EQ(n->created_at_ms, 5);
  EXPECT_EQ(raw(db.last_seq(UserId{1})), 2);

  auto next = chat(db, 2, 1, "again", std::nullopt, 6);
  EXPECT_EQ(raw(next.recipient_seq), 3);  // after the notification's 2
  other.exec("UPDATE notifications SET read = false, link = NULL");
  auto after_chat = db.read_mailbox(UserId{1}, Seq{1}, everything());
  ASSERT_EQ(seqs_of(after_chat), (std::vector<std::int64_t>{2, 3}));
  n = std::get_if<MailboxNotification>(&after_chat.events[0].body);
  ASSERT_TRUE(n);
  EXPECT_FALSE(n->read);  // the notification's own flag
  EXPECT_FALSE(n->link);
}

// mailbox_read_test.cpp: TheMarkOnlyRises.
TEST_F(PgChatTest, TheMarkOnlyRises) {
  PgDatabase db(url_);
  db.ensure_user(UserId{1}, "a", 1);
  db.set_mailbox_mark(UserId{1}, Seq{7});
  db.set_mailbox_mark(UserId{1}, Seq{3});
  EXPECT_EQ(db.get_user(UserId{1})->mailbox_mark, Seq{7});
  PgDatabase other(url_);
  EXPECT_EQ(other.load_users().front().mailbox_mark, Seq{7});
}

// ---- chat history (history_test.cpp's checks, against the same model) ----

struct Sent {
  std::int64_t id, from, to;
  std::int64_t sender_seq, recipient_seq;
  std::string text;
};

// Writes chats and remembers them; each batch is one commit.
class Chats {
 public:
  explicit Chats(PgDatabase& writer) : writer_(writer) {}
  void batch(const std::vector<std::pair<std::int64_t, std::int64_t>>& from_to) {
    writer_.begin();
    for (auto [from, to] : from_to) {
      std::string text = "m" + std::to_string(sent_.size() + 1) + " é'\";--";
      writer_.savepoint();
      auto r = writer_.insert_chat({UserId{from}, UserId{to}, text, std::nullopt,
                                    1000 + static_cast<std::int64_t>(sent_.size())});
      writer_.release_savepoint();
      sent_.push_back({raw(r.id), from, to, raw(r.sender_seq), raw(r.recipient_seq), text});
    }
    writer_.commit();
  }
  void one(std::int64_t from, std::int64_t to) { batch({{from, to}}); }
  std::int64_t id_of(std::size_t nth) const { return sent_.at(nth - 1).id; }  // from 1

  // The conversation of u and p, newest first.
  std::vector<Sent> conversation(std::int64_t u, std::int64_t p) const {
    std::vector<Sent> out;
    for (auto it = sent_.rbegin(); it != sent_.rend(); ++it) {
      if ((it->from == u && it->to == p) || (it->from == p && it->to == u)) out.push_back(*it);
    }
    return out;
  }
  struct Row {
    std::int64_t partner, last_id, received;
  };
  // (partner, last id, received) for u, newest first.
  std::vector<Row> conversations(std::int64_t u) const {
    std::map<std::int64_t, Row> by_partner;
    for (const Sent& s : sent_) {
      std::int64_t p = s.from == u ? s.to : s.to == u ? s.from : 0;
      if (p == 0) continue;
      Row& row = by_partner.try_emplace(p, Row{p, 0, 0}).first->second;
      row.last_id = s.id;
      if (s.from == p) ++row.received;
    }
    std::vector<Row> rows;
    for (auto& [p, row] : by_partner) rows.push_back(row);
    std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.last_id > b.last_id; });
    return rows;
  }

 private:
  PgDatabase& writer_;
  std::vector<Sent> sent_;
};

// Pages through u's conversation with p, `limit` at a time: every message
// once, newest first, with u's seq and the exact text.
void expect_conversation(PgDatabase& reader, const Chats& chats, std::int64_t u, std::int64_t p,
                         std::size_t limit) {
  auto expected = chats.conversation(u, p);
  std::vector<HistoryMessage> got;
  MessageId before = kNewest;
  for (int pages = 0;; ++pages) {
    ASSERT_LT(pages, 10000);
    auto page = reader.read_conversation(UserId{u}, UserId{p}, before, limit);
    ASSERT_LE(page.messages.size(), limit);
    for (auto& m : page.messages) got.push_back(m);
    if (!page.more) break;
    ASSERT_EQ(page.messages.size(), limit);
    before = page.messages.back().id;
  }
  ASSERT_EQ(got.size(), expected.size()) << "conversation " << u << "-" << p;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const Sent& s = expected[i];
    ASSERT_EQ(raw(got[i].id), s.id) << i;
    EXPECT_EQ(raw(got[i].from), s.from);
    EXPECT_EQ(raw(got[i].to), s.to);
    EXPECT_EQ(got[i].text, s.text);
    EXPECT_EQ(raw(got[i].seq), s.from == u ? s.sender_seq : s.recipient_seq);
  }
}

// Pages through u's conversation list: order, last messages and unread
// counts (`read` = messages from each partner marked read).
void expect_list(PgDatabase& reader, const Chats& chats, std::int64_t u, std::size_t limit,
                 const std::map<std::int64_t, std::int64_t>& read = {}) {
  auto expected = chats.conversations(u);
  std::vector<ConversationSummary> got;
  MessageId before = kNewest;
  for (int pages = 0;; ++pages) {
    ASSERT_LT(pages, 10000);
    auto list = reader.list_conversations(UserId{u}, before, limit);
    ASSERT_LE(list.conversations.size(), limit);
    for (auto& c : list.conversations) got.push_back(c);
    if (!list.more) break;
    ASSERT_EQ(list.conversations.size(), limit);
    before = list.conversations.back().last.id;
  }
  ASSERT_EQ(got.size(), expected.size()) << "list of " << u;
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(raw(got[i].partner), expected[i].partner) << i;
    EXPECT_EQ(raw(got[i].last.id), expected[i].last_id);
    auto r = read.find(expected[i].partner);
    EXPECT_EQ(got[i].unread, expected[i].received - (r == read.end() ? 0 : r->second))
        << "partner " << expected[i].partner;
  }
}

// history_test.cpp: PagesNewestFirstWithCursorsInBothDirections.
TEST_F(PgChatTest, HistoryPagesNewestFirstWithCursorsInBothDirections) {
  PgDatabase writer(url_);
  PgDatabase reader(url_);
  Chats chats(writer);
  for (int i = 0; i < 23; ++i) chats.batch({{1, 2}, {2, 1}, {3, 1}});
  expect_conversation(reader, chats, 1, 2, 5);
  expect_conversation(reader, chats, 2, 1, 5);  // the same chats, user 2's seqs
  expect_conversation(reader, chats, 1, 3, 7);
  expect_conversation(reader, chats, 2, 3, 5);  // none between 2 and 3
  expect_conversation(reader, chats, 1, 2, 100);
  expect_conversation(reader, chats, 3, 1, 23);  // exactly one page: no more

  auto first = reader.read_conversation(UserId{1}, UserId{2}, kNewest, 3);
  ASSERT_EQ(first.messages.size(), 3u);
  EXPECT_TRUE(first.more);
  EXPECT_GT(raw(first.messages[0].id), raw(first.messages[1].id));
  auto next = reader.read_conversation(UserId{1}, UserId{2}, first.messages.back().id, 3);
  EXPECT_LT(raw(next.messages.front().id), raw(first.messages.back().id));  // exclusive cursor
  auto none = reader.read_conversation(UserId{1}, UserId{2}, kNewest, 0);
  EXPECT_TRUE(none.messages.empty());
  EXPECT_TRUE(none.more);
}

// history_test.cpp: ANewUserHasNoConversations.
TEST_F(PgChatTest, ANewUserHasNoConversations) {
  PgDatabase writer(url_);
  PgDatabase reader(url_);
  Chats chats(writer);
  chats.one(1, 2);
  auto list = reader.list_conversations(UserId{7}, kNewest, 20);
  EXPECT_TRUE(list.conversations.empty());
  EXPECT_FALSE(list.more);
  auto page = reader.read_conversation(UserId{7}, UserId{1}, kNewest, 50);
  EXPECT_TRUE(page.messages.empty());
  EXPECT_FALSE(page.more);
  EXPECT_EQ(page.received, 0);
  EXPECT_EQ(page.read, 0);
  EXPECT_EQ(raw(page.newest), 0);
}

// history_test.cpp: UnreadCountsAndMarkRead.
TEST_F(PgChatTest, UnreadCountsAndMarkRead) {
  PgDatabase writer(url_);
  PgDatabase reader(url_);
  Chats chats(writer);
  chats.batch({{2, 1}, {2, 1}, {1, 2}, {3, 1}, {2, 1}});
  expect_list(reader, chats, 1, 20);  // 3 unread from 2, 1 from 3
  expect_list(reader, chats, 2, 20);  // 1 unread from 1

  auto page = reader.read_conversation(UserId{1}, UserId{2}, kNewest, 50);
  EXPECT_EQ(page.received, 3);
  EXPECT_EQ(page.read, 0);
  EXPECT_EQ(raw(page.newest), chats.id_of(5));
  writer.begin();
  writer.mark_conversation_read(UserId{1}, UserId{2}, page.newest, page.received);
  writer.commit();
  expect_list(reader, chats, 1, 20, {{2, 3}});
  EXPECT_EQ(reader.read_conversation(UserId{1}, UserId{2}, kNewest, 50).read, 3);

  chats.one(2, 1);  // one more: unread 1
  expect_list(reader, chats, 1, 20, {{2, 3}});
  auto now = reader.read_conversation(UserId{1}, UserId{2}, kNewest, 50);
  EXPECT_EQ(now.received, 4);
  EXPECT_EQ(raw(now.newest), chats.id_of(6));
  // An older read state never replaces a newer one.
  writer.begin();
  writer.mark_conversation_read(UserId{1}, UserId{2}, MessageId{chats.id_of(2)}, 2);
  writer.commit();
  expect_list(reader, chats, 1, 20, {{2, 3}});
  // Reading only marks the reader's side.
  expect_list(reader, chats, 2, 20);
  // A newer one does.
  writer.begin();
  writer.mark_conversation_read(UserId{1}, UserId{2}, now.newest, now.received);
  writer.commit();
  expect_list(reader, chats, 1, 20, {{2, 4}});
}

// history_test.cpp: the list's order and paging as partners reorder.
TEST_F(PgChatTest, TheConversationListPagesNewestFirst) {
  PgDatabase writer(url_);
  PgDatabase reader(url_);
  Chats chats(writer);
  std::vector<std::pair<std::int64_t, std::int64_t>> batch;
  for (int n = 0; n < 300; ++n) {
    std::int64_t partner = 2 + (n * 7 + n / 13) % 10;
    batch.push_back(n % 3 == 0 ? std::pair<std::int64_t, std::int64_t>{1, partner}
                               : std::pair<std::int64_t, std::int64_t>{partner, 1});
  }
  chats.batch(batch);
  expect_list(reader, chats, 1, 3);
  expect_list(reader, chats, 1, 1);
  expect_list(reader, chats, 4, 20);
  expect_conversation(reader, chats, 1, 2, 7);
  chats.batch({{7, 1}, {1, 3}, {2, 1}, {12, 1}});
  chats.one(9, 1);
  expect_list(reader, chats, 1, 3);
  EXPECT_EQ(raw(reader.list_conversations(UserId{1}, kNewest, 20).conversations.front().partner),
            9);
  auto last = reader.list_conversations(UserId{1}, kNewest, 1).conversations.front().last;
  EXPECT_EQ(raw(last.from), 9);
  EXPECT_EQ(raw(last.to), 1);
  EXPECT_EQ(last.created_at_ms, 1000 + 304);
}

// ---- odd inputs ----

TEST_F(PgChatTest, QuotesAndUnicodeRoundTrip) {
  PgDatabase db(url_);
  const std::string evil = "'; DROP TABLE messages; -- \u2603 \U0001F600 \"q\" \\\\ $1 é";
  const std::string key = "k'\"\\ $2 \u00e9";
  auto first = chat(db, 1, 2, evil, key, 7);
  auto repeat = chat(db, 1, 2, "other", key, 8);
  EXPECT_TRUE(repeat.duplicate);
  EXPECT_EQ(raw(repeat.id), raw(first.id));
  EXPECT_FALSE(chat(db, 1, 2, evil, key + "x", 9).duplicate);

  auto page = db.read_mailbox(UserId{2}, Seq{0}, everything());
  ASSERT_EQ(page.events.size(), 2u);
  EXPECT_EQ(std::get<MailboxChat>(page.events[0].body).text, evil);
  auto history = db.read_conversation(UserId{2}, UserId{1}, kNewest, 10);
  ASSERT_EQ(history.messages.size(), 2u);
  EXPECT_EQ(history.messages[1].text, evil);
  EXPECT_EQ(db.list_conversations(UserId{1}, kNewest, 10).conversations.front().last.text, evil);
  PgConnection check(url_);
  EXPECT_EQ(
      check.exec("SELECT client_msg_id FROM messages WHERE id = $1", {raw(first.id)}).text(0, 0),
      key);
}

// PostgreSQL's text has no NUL byte; the body and client_msg_id are stored
// escaped (pg_text.hpp), so text with NUL and 0x01 bytes, anywhere and
// together, comes back byte for byte from every read, as SQLite's does. A
// client_msg_id is still found again on a repeat, and keys that differ only
// in those bytes (or one cut short at its NUL) stay different keys.
TEST_F(PgChatTest, TextWithNulAndSohBytesRoundTripsExactly) {
  PgDatabase db(url_);
  using namespace std::string_literals;
  const std::vector<std::string> bodies{
      "a\0b"s,           "\0"s,     "\x01"s,    "\0\0\x01\x01"s, "\0starts"s,  "ends\0"s,
      "\x01starts"s,      "ends\x01"s, "\x01" "0"s, "\x01\x01" "0\0"s, "\0\x01 both \x01\0"s};
  std::vector<MessageId> ids;
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    auto r = chat(db, 1, 2, bodies[i], "key\0"s + std::to_string(i) + "\x01",
                  static_cast<std::int64_t>(i + 1));
    EXPECT_FALSE(r.duplicate);
    ids.push_back(r.id);
  }
  auto page = db.read_mailbox(UserId{2}, Seq{0}, everything());
  ASSERT_EQ(page.events.size(), bodies.size());
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    EXPECT_EQ(std::get<MailboxChat>(page.events[i].body).text, bodies[i]) << i;
  }
  auto history = db.read_conversation(UserId{1}, UserId{2}, kNewest, 100);
  ASSERT_EQ(history.messages.size(), bodies.size());
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    EXPECT_EQ(history.messages[bodies.size() - 1 - i].text, bodies[i]) << i;
  }
  EXPECT_EQ(db.list_conversations(UserId{2}, kNewest, 10).conversations.front().last.text,
            bodies.back());

  // Keys with NUL and 0x01 bytes, at either end too.
  const std::vector<std::string> keys{"\0"s,      "\x01"s,         "\x01" "0"s, "\x01\x01"s,
                                      "k\0other"s, "\0k\x01" "0\0"s, "k\x01"s};
  std::vector<ChatInsertResult> firsts;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto r = chat(db, 1, 2, "m" + std::to_string(i), keys[i], 100);
    EXPECT_FALSE(r.duplicate) << i;  // none matches another key
    firsts.push_back(r);
  }
  // "k" and "k\0" are new keys: not "k\0other" cut short.
  EXPECT_FALSE(chat(db, 1, 2, "plain", "k"s, 101).duplicate);
  EXPECT_FALSE(chat(db, 1, 2, "plain", "k\0"s, 101).duplicate);
  const std::int64_t seq_before = raw(db.last_seq(UserId{1}));
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto again = chat(db, 1, 2, "again", keys[i], 200);
    EXPECT_TRUE(again.duplicate) << i;
    EXPECT_EQ(raw(again.id), raw(firsts[i].id)) << i;
    EXPECT_EQ(raw(again.sender_seq), raw(firsts[i].sender_seq)) << i;
  }
  EXPECT_EQ(raw(db.last_seq(UserId{1})), seq_before);  // repeats take no seq
  // The same key from another sender is its own.
  EXPECT_FALSE(chat(db, 2, 1, "other sender", keys[0], 300).duplicate);

  // Stored escaped, as pg_text.hpp spells it.
  PgConnection check(url_);
  auto stored = check.exec("SELECT body, client_msg_id FROM messages WHERE id = $1", {raw(ids[0])});
  EXPECT_EQ(stored.text(0, 0), "a\x01" "0b"s);
  EXPECT_EQ(stored.text(0, 1), "key\x01" "00\x01\x01"s);
}

// A chat to oneself (the chat flow refuses one; storage still answers as
// SQLite does): two seqs of the one mailbox, sent then received, both
// replayed; one message in the conversation, at the sender's seq, counted
// as received once.
TEST_F(PgChatTest, AChatToOneself) {
  PgDatabase db(url_);
  chat(db, 1, 2, "first", std::nullopt, 1);
  auto self = chat(db, 1, 1, "note to self", std::nullopt, 2);
  EXPECT_EQ(raw(self.sender_seq), 2);
  EXPECT_EQ(raw(self.recipient_seq), 3);
  EXPECT_EQ(raw(db.last_seq(UserId{1})), 3);
  auto page = db.read_mailbox(UserId{1}, Seq{1}, everything());
  ASSERT_EQ(seqs_of(page), (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(raw(std::get<MailboxChat>(page.events[1].body).id), raw(self.id));
  auto history = db.read_conversation(UserId{1}, UserId{1}, kNewest, 10);
  ASSERT_EQ(history.messages.size(), 1u);
  EXPECT_EQ(raw(history.messages[0].seq), 2);
  EXPECT_EQ(history.received, 1);
  auto list = db.list_conversations(UserId{1}, kNewest, 10);
  ASSERT_EQ(list.conversations.size(), 2u);
  EXPECT_EQ(raw(list.conversations[0].partner), 1);
  EXPECT_EQ(list.conversations[0].unread, 1);
  EXPECT_EQ(raw(chat(db, 2, 1, "back", std::nullopt, 3).recipient_seq), 4);
}

}  // namespace
}  // namespace herald::store::pg
