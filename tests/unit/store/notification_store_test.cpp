// Notifications' storage (notification_pack.hpp, notification_index.hpp)
// against real files: every notification listed, counted, marked and
// replayed exactly once while it is only in its publish's batch, after the
// fold has indexed it, and with some in each place; read state across the
// fold; seqs shared with chats and known to a writer that reloads its
// state with batches unfolded; owners only; the migration of the old
// one-row-per-recipient table. Each state is checked against a model kept
// by the test.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "mailbox_checks.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "temp_db.hpp"

using namespace herald;
using store::MarkRead;
using store::NotificationContent;
using store::NotificationId;
using store::PageRequest;
using store::sqlite::SqliteDatabase;

namespace {

using test::everything;
using test::one_to;
using test::seqs_of;
std::filesystem::path temp_db() { return test::temp_db("notifications"); }

struct Note {
  std::int64_t id = 0;
  std::int64_t user = 0;
  std::int64_t seq = 0;
  std::string title;
};

// What the test stored, and what it marked read.
class Model {
 public:
  explicit Model(SqliteDatabase& writer) : writer_(writer) {}

  void publish(const std::vector<std::int64_t>& users, const std::string& title) {
    std::vector<UserId> ids;
    for (std::int64_t u : users) ids.push_back(UserId{u});
    NotificationContent content{"mention", title, "body of " + title, R"({"k":"v"})", "/x"};
    writer_.begin();
    auto stored = writer_.insert_notifications(ids, content, ++clock_);
    writer_.commit();
    ASSERT_EQ(stored.size(), users.size());
    for (const auto& n : stored) {
      ASSERT_EQ(raw(n.seq), ++last_seq_[raw(n.user)]);
      notes_.push_back({raw(n.id), raw(n.user), raw(n.seq), title});
    }
  }
  void chat(std::int64_t from, std::int64_t to) {
    writer_.begin();
    auto r = writer_.insert_chat({UserId{from}, UserId{to}, "hi", std::nullopt, ++clock_});
    writer_.commit();
    ASSERT_EQ(raw(r.sender_seq), ++last_seq_[from]);
    ASSERT_EQ(raw(r.recipient_seq), ++last_seq_[to]);
  }
  MarkRead mark(std::int64_t user, std::int64_t id) {
    writer_.begin();
    MarkRead result = writer_.mark_notification_read(UserId{user}, NotificationId{id});
    writer_.commit();
    if (result == MarkRead::marked) read_.insert(id);
    return result;
  }
  std::int64_t mark_all(std::int64_t user) {
    writer_.begin();
    std::int64_t n = writer_.mark_all_notifications_read(UserId{user});
    writer_.commit();
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
  SqliteDatabase& writer_;
  std::vector<Note> notes_;
  std::set<std::int64_t> read_;
  std::map<std::int64_t, std::int64_t> last_seq_;
  // Now, in unix ms: the fold waits for batches to be a second old.
  std::int64_t clock_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
};

// Every page of the user's list (7 a page, by cursor), the unread-only
// list, the unread count and the mailbox replay agree with the model.
void expect_same(SqliteDatabase& reader, const Model& model, std::int64_t user) {
  SCOPED_TRACE("user " + std::to_string(user));
  for (bool unread_only : {false, true}) {
    std::vector<Note> want = model.of(user, unread_only);
    std::vector<store::NotificationRecord> got;
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
  std::vector<std::pair<std::int64_t, store::MailboxNotification>> replayed;
  for (auto& e : reader.read_mailbox(UserId{user}, Seq{0}, everything()).events) {
    if (auto* n = std::get_if<store::MailboxNotification>(&e.body)) replayed.emplace_back(raw(e.seq), *n);
  }
  ASSERT_EQ(replayed.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(replayed[i].first, want[i].seq);
    EXPECT_EQ(replayed[i].second.id, want[i].id);
    EXPECT_EQ(replayed[i].second.title, want[i].title);
    EXPECT_EQ(replayed[i].second.read, model.is_read(want[i].id));
  }
  // A replay from the middle brings exactly what came after.
  if (want.size() > 2) {
    std::int64_t after = want[want.size() / 2].seq;
    std::size_t later = 0;
    for (auto& e : reader.read_mailbox(UserId{user}, Seq{after}, everything()).events) {
      EXPECT_GT(raw(e.seq), after);
      later += std::holds_alternative<store::MailboxNotification>(e.body);
    }
    EXPECT_EQ(later, want.size() - want.size() / 2 - 1);
  }
}

std::vector<std::int64_t> range(std::int64_t from, std::int64_t to) {
  std::vector<std::int64_t> out;
  for (std::int64_t u = from; u <= to; ++u) out.push_back(u);
  return out;
}
}  // namespace

TEST(NotificationStore, EveryNotificationOnceBeforeAndAfterTheFoldWithReadState) {
  auto file = temp_db();
  SqliteDatabase writer(file);
  SqliteDatabase folder(file);
  SqliteDatabase reader(file);
  Model model(writer);
  const std::vector<std::int64_t> watched{1, 2, 3, 5000, 9999};
  auto check = [&] {
    for (std::int64_t u : watched) expect_same(reader, model, u);
  };

  // Unfolded: small publishes, chats between them, one big publish.
  model.publish({1, 2, 3}, "a");
  model.chat(2, 1);
  model.publish({3, 1}, "b");
  model.publish(range(1, 10000), "wide 1");
  model.chat(1, 3);
  for (int i = 0; i < 9; ++i) model.publish({1, 2}, "small " + std::to_string(i));
  check();
  auto first_of_1 = model.of(1).back().id;
  EXPECT_EQ(model.mark(1, first_of_1), MarkRead::marked);
  EXPECT_EQ(model.mark(1, first_of_1), MarkRead::already_read);
  EXPECT_EQ(model.mark_all(2), 11);
  EXPECT_EQ(model.mark_all(2), 0);
  check();

  // Not yet a fold's worth nor a second old: the fold waits.
  EXPECT_FALSE(folder.compact());
  model.publish(range(1, 10000), "wide 2");  // 20,000+ unfolded: folds
  EXPECT_TRUE(folder.compact());
  EXPECT_FALSE(folder.compact());
  check();

  // Some in the runs, some in the batches after them; marks on both sides.
  model.publish({1, 5000}, "late");
  model.publish(range(9000, 10000), "wide 3");
  EXPECT_EQ(model.mark(5000, model.of(5000).back().id), MarkRead::marked);  // folded
  EXPECT_EQ(model.mark(5000, model.of(5000).front().id), MarkRead::marked);  // unfolded
  EXPECT_EQ(model.mark(3, model.of(3)[1].id), MarkRead::marked);
  check();
  EXPECT_EQ(model.mark_all(9999), 3);
  model.publish({9999, 2}, "after mark all");
  check();

  // A reader opened now folds what is left (start-up), and the counts of
  // every user agree with the model.
  SqliteDatabase later(file);
  for (std::int64_t u : watched) expect_same(later, model, u);
  auto counts = later.unread_counts();
  std::map<std::int64_t, std::int64_t> got;
  for (auto [user, n] : counts) got[raw(user)] = n;
  EXPECT_EQ(got, model.unread_counts());
}

TEST(NotificationStore, AFewOldBatchesAreFoldedAfterASecond) {
  auto file = temp_db();
  SqliteDatabase writer(file);
  SqliteDatabase folder(file);
  SqliteDatabase reader(file);
  Model model(writer);
  model.publish({1, 2}, "a");
  EXPECT_FALSE(folder.compact());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_TRUE(folder.compact());
  model.publish({1}, "b");
  expect_same(reader, model, 1);
  expect_same(reader, model, 2);
}

TEST(NotificationStore, OnlyTheRecipientSeesOrMarksANotification) {
  auto file = temp_db();
  SqliteDatabase writer(file);
  SqliteDatabase folder(file);
  Model model(writer);
  model.publish({1}, "for 1");
  const std::int64_t id = model.of(1).front().id;
  for (int pass = 0; pass < 2; ++pass) {  // unfolded, then folded
    SCOPED_TRACE(pass);
    EXPECT_EQ(model.mark(2, id), MarkRead::not_found);
    EXPECT_EQ(model.mark(1, id + 1), MarkRead::not_found);  // no such notification
    EXPECT_EQ(model.mark(1, 0), MarkRead::not_found);
    EXPECT_TRUE(writer.list_notifications(UserId{2}, PageRequest{}, false).empty());
    EXPECT_EQ(writer.unread_count(UserId{2}), 0);
    if (pass == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1100));
      ASSERT_TRUE(folder.compact());
    }
  }
  EXPECT_EQ(model.mark(1, id), MarkRead::marked);
}

TEST(NotificationStore, AWriterThatReloadsItsStateKnowsUnfoldedSeqs) {
  auto file = temp_db();
  SqliteDatabase writer(file);
  SqliteDatabase reader(file);
  writer.begin();
  writer.ensure_user(UserId{1}, "a", 1);
  writer.commit();
  Model model(writer);
  model.publish({1}, "a");  // seq 1, unfolded
  model.publish({1}, "b");  // seq 2
  EXPECT_EQ(raw(reader.last_seq(UserId{1})), 2);
  EXPECT_EQ(raw(reader.get_user(UserId{1})->last_seq), 2);
  writer.begin();
  writer.rollback();  // a failed batch: the writer's caches load afresh
  model.chat(2, 1);   // seq 3 for user 1, checked by the model
  expect_same(reader, model, 1);
}

TEST(NotificationStore, TheMigrationKeepsOldNotificationsAndTheirReadFlags) {
  auto file = temp_db();
  { SqliteDatabase created(file); }
  // Back to main version 9: one row per recipient with a read flag.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  const char* old_schema = R"sql(
    DROP TABLE notification_batches; DROP TABLE notification_marks; DROP TABLE notification_reads;
    CREATE TABLE notifications (
      id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL,
      title TEXT NOT NULL, message TEXT NOT NULL, data TEXT NOT NULL, link TEXT,
      read INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
    CREATE INDEX notifications_user ON notifications(user_id, id);
    CREATE UNIQUE INDEX notifications_user_seq ON notifications(user_id, seq);
    CREATE INDEX notifications_unread ON notifications(user_id, id) WHERE read = 0;
    INSERT INTO notifications VALUES (1, 7, 1, 'new_like', 'Like', 'm1', '{}', NULL, 1, 10);
    INSERT INTO notifications VALUES (2, 8, 1, 'new_like', 'Like', 'm2', '{}', '/p/1', 0, 11);
    INSERT INTO notifications VALUES (3, 7, 2, 'mention', 'Mention', 'm3', '{"a":1}', NULL, 0, 12);
    PRAGMA user_version = 9;
  )sql";
  ASSERT_EQ(sqlite3_exec(db, old_schema, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);

  SqliteDatabase writer(file);  // migrates
  auto seven = writer.list_notifications(UserId{7}, PageRequest{}, false);
  ASSERT_EQ(seven.size(), 2u);
  EXPECT_EQ(raw(seven[0].id), 3);
  EXPECT_EQ(raw(seven[0].seq), 2);
  EXPECT_EQ(seven[0].content.data_json, R"({"a":1})");
  EXPECT_FALSE(seven[0].read);
  EXPECT_EQ(raw(seven[1].id), 1);
  EXPECT_TRUE(seven[1].read);
  auto eight = writer.list_notifications(UserId{8}, PageRequest{}, false);
  ASSERT_EQ(eight.size(), 1u);
  EXPECT_EQ(eight[0].content.link, "/p/1");
  EXPECT_EQ(eight[0].created_at_ms, 11);
  EXPECT_EQ(writer.unread_count(UserId{7}), 1);
  // New ones continue the ids and each user's seqs.
  writer.begin();
  auto next = writer.insert_notifications({UserId{7}}, NotificationContent{"mention", "t", "m", "{}", {}}, 20);
  writer.commit();
  EXPECT_EQ(raw(next.front().id), 4);
  EXPECT_EQ(raw(next.front().seq), 3);
}

// A notification not yet folded, then a fold's worth of later chats that
// the fold moves out of the log: a writer reloading its state must take
// the user's seq from the archive's chats, not from that notification.
TEST(NotificationStore, AReloadedWriterSeesChatsFoldedAfterAnUnfoldedNotification) {
  auto file = temp_db();
  SqliteDatabase writer(file);
  SqliteDatabase folder(file);
  // Dated an hour ahead, so the fold's one-second rule leaves it unfolded.
  const std::int64_t later = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count() +
                             3'600'000;
  writer.begin();
  auto note = writer.insert_notifications({UserId{1}}, NotificationContent{"mention", "t", "m", "{}", {}}, later);
  writer.commit();
  ASSERT_EQ(raw(note.front().seq), 1);
  constexpr int kChats = 16384;  // a chat fold's worth
  writer.begin();
  std::int64_t last = 0;
  for (int i = 0; i < kChats; ++i) last = raw(writer.insert_chat({UserId{2}, UserId{1}, "c", std::nullopt, 1}).recipient_seq);
  writer.commit();
  ASSERT_EQ(last, 1 + kChats);
  ASSERT_TRUE(folder.compact());  // the chats into the archive; the notification stays unfolded
  for (int commit = 0; commit < 16; ++commit) {  // the writer releases the folded log
    writer.begin();
    writer.set_last_seen(UserId{2}, commit);
    writer.commit();
  }
  writer.begin();
  writer.rollback();  // a failed batch: the writer's caches load afresh
  writer.begin();
  auto next = writer.insert_chat({UserId{2}, UserId{1}, "after", std::nullopt, 2});
  writer.commit();
  EXPECT_EQ(raw(next.recipient_seq), last + 1);
  EXPECT_EQ(raw(SqliteDatabase(file).last_seq(UserId{1})), last + 1);
}

// The fold cannot write the archive (another connection holds its write
// lock): it fails and stores nothing there, every notification is still
// listed, counted and replayed from its batch, and the next fold indexes
// them all once.
TEST(NotificationStore, AFailedFoldLosesNothingAndIsRetried) {
  auto file = temp_db();
  SqliteDatabase writer(file);
  SqliteDatabase folder(file);
  SqliteDatabase reader(file);
  Model model(writer);
  model.publish(range(1, 10000), "wide 1");
  model.publish(range(1, 10000), "wide 2");  // a fold's worth and more
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(SqliteDatabase::archive_file(file).c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_THROW(folder.compact(), store::StorageError);
  sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(holder);
  for (std::int64_t u : {1, 5000, 10000}) expect_same(reader, model, u);
  EXPECT_TRUE(folder.compact());
  EXPECT_FALSE(folder.compact());
  for (std::int64_t u : {1, 5000, 10000}) expect_same(reader, model, u);
}
