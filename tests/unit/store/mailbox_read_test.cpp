// The mailbox's read side (SqliteDatabase::read_mailbox, PROTOCOL.md 4.3)
// against real files: chats in the log, in the archive and in both while a
// fold's blocks are being released, and notifications, each seq once and in
// order; the retention window; a notification's seq taken into account by
// a writer that reloads its state.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <string>
#include <variant>

#include "mailbox_checks.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "temp_db.hpp"

using namespace herald;
using store::sqlite::SqliteDatabase;

namespace {

using test::everything;
using test::one_to;
using test::seqs_of;
std::filesystem::path temp_db() { return test::temp_db("mailbox"); }

// User 1's mailbox must be exactly seqs 1..n, chats alternating between
// sent to 2 (odd ids) and received from 2 (even ids), text "c<id>".
void expect_chats_1_to_n(const store::MailboxPage& page, int n) {
  ASSERT_EQ(static_cast<int>(page.events.size()), n);
  for (int i = 0; i < n; ++i) {
    const auto& e = page.events[i];
    ASSERT_EQ(raw(e.seq), i + 1);
    const auto* chat = std::get_if<store::MailboxChat>(&e.body);
    ASSERT_TRUE(chat);
    EXPECT_EQ(raw(chat->id), i + 1);
    EXPECT_EQ(chat->text, "c" + std::to_string(i + 1));
    EXPECT_EQ(raw(chat->from), (i % 2 == 0) ? 1 : 2);
  }
}
}  // namespace

TEST(MailboxRead, EveryChatOnceInOrderBeforeDuringAndAfterAFold) {
  auto file = temp_db();
  SqliteDatabase writer(file);
  SqliteDatabase folder(file);
  SqliteDatabase reader(file);
  writer.ensure_user(UserId{1}, "a", 1);
  writer.ensure_user(UserId{2}, "b", 1);
  constexpr int kFold = 16384, kPerBlock = 1024;
  for (int b = 0; b < kFold / kPerBlock; ++b) {
    writer.begin();
    for (int i = 0; i < kPerBlock; ++i) {
      int id = b * kPerBlock + i + 1;
      bool from_1 = id % 2 == 1;
      writer.insert_chat({UserId{from_1 ? 1 : 2}, UserId{from_1 ? 2 : 1}, "c" + std::to_string(id),
                          std::nullopt, 1000 + id});
    }
    writer.commit();
  }
  expect_chats_1_to_n(reader.read_mailbox(UserId{1}, Seq{0}, everything()), kFold);  // all in the log

  ASSERT_TRUE(folder.compact());  // all in the archive too, still in the log
  expect_chats_1_to_n(reader.read_mailbox(UserId{1}, Seq{0}, everything()), kFold);
  for (int commit = 0; commit < 8; ++commit) {  // the log released a slice at a time
    writer.begin();
    writer.set_last_seen(UserId{1}, commit);
    writer.commit();
    expect_chats_1_to_n(reader.read_mailbox(UserId{1}, Seq{0}, everything()), kFold);
  }
  // After a seq: only the later ones.
  auto tail = reader.read_mailbox(UserId{1}, Seq{kFold - 3}, everything());
  ASSERT_EQ(tail.events.size(), 3u);
  EXPECT_EQ(raw(tail.events[0].seq), kFold - 2);
  EXPECT_FALSE(tail.resync);
  // User 2 sees the same chats under its own seqs.
  EXPECT_EQ(reader.read_mailbox(UserId{2}, Seq{0}, everything()).events.size(), std::size_t{kFold});
}

TEST(MailboxRead, RetentionCutsTheReplayAndSaysSo) {
  auto file = temp_db();
  SqliteDatabase writer(file);
  SqliteDatabase reader(file);
  writer.begin();
  for (int id = 1; id <= 20; ++id) {
    writer.insert_chat({UserId{1}, UserId{2}, "c" + std::to_string(id), std::nullopt, id * 1000});
  }
  writer.commit();
  store::MailboxRetention ten;
  ten.max_events = 10;
  auto newest = reader.read_mailbox(UserId{1}, Seq{0}, ten);
  EXPECT_TRUE(newest.resync);
  ASSERT_EQ(newest.events.size(), 10u);
  EXPECT_EQ(raw(newest.events.front().seq), 11);
  EXPECT_FALSE(reader.read_mailbox(UserId{1}, Seq{10}, ten).resync);  // all of it fits

  store::MailboxRetention recent = everything();
  recent.min_created_at_ms = 15'000;  // chats 1..14 are too old
  auto young = reader.read_mailbox(UserId{1}, Seq{0}, recent);
  EXPECT_TRUE(young.resync);
  ASSERT_EQ(young.events.size(), 6u);
  EXPECT_EQ(raw(young.events.front().seq), 15);

  auto beyond = reader.read_mailbox(UserId{1}, Seq{99}, everything());
  EXPECT_TRUE(beyond.resync);  // a seq this mailbox never had
  EXPECT_TRUE(beyond.events.empty());
}

TEST(MailboxRead, NotificationsShareTheSeqsAndAReloadedWriterKnowsThem) {
  auto file = temp_db();
  {
    SqliteDatabase writer(file);
    writer.begin();
    writer.insert_chat({UserId{2}, UserId{1}, "hi", std::nullopt, 1});  // user 1's seq 1
    writer.commit();
    writer.begin();
    store::NotificationContent followed{"new_follower", "New follower", "b followed you",
                                        "{\"follower_id\":2}", "/users/2"};
    writer.insert_notifications({UserId{1}}, followed, 5);  // seq 2
    writer.commit();
  }
  SqliteDatabase reader(file);
  auto page = reader.read_mailbox(UserId{1}, Seq{0}, everything());
  ASSERT_EQ(page.events.size(), 2u);
  const auto* note = std::get_if<store::MailboxNotification>(&page.events[1].body);
  ASSERT_TRUE(note);
  EXPECT_EQ(raw(page.events[1].seq), 2);
  EXPECT_EQ(note->type, "new_follower");
  EXPECT_EQ(note->data_json, "{\"follower_id\":2}");
  EXPECT_EQ(note->link, "/users/2");
  EXPECT_EQ(raw(reader.last_seq(UserId{1})), 2);

  SqliteDatabase writer(file);  // its view of the log is loaded afresh
  writer.begin();
  auto next = writer.insert_chat({UserId{2}, UserId{1}, "again", std::nullopt, 6});
  writer.commit();
  EXPECT_EQ(raw(next.recipient_seq), 3);  // after the notification's 2
}

TEST(MailboxRead, TheMarkOnlyRises) {
  auto file = temp_db();
  SqliteDatabase db(file);
  db.ensure_user(UserId{1}, "a", 1);
  db.set_mailbox_mark(UserId{1}, Seq{7});
  db.set_mailbox_mark(UserId{1}, Seq{3});
  EXPECT_EQ(db.get_user(UserId{1})->mailbox_mark, Seq{7});
}
