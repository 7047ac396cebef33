// Chat history's storage (PROTOCOL.md 6.5: SqliteDatabase::read_conversation,
// list_conversations, mark_conversation_read) against real files: pages
// newest first with cursors, both directions, chats in the log, in the
// archive and in both while a fold's blocks are being released, unread
// counts and marking read, the conversation list's order and paging, and
// a user with no conversations. Each state is checked against a model
// kept by the test (every chat sent, in id order).
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_database.hpp"
#include "temp_db.hpp"

using namespace herald;
using store::sqlite::SqliteDatabase;

namespace {
std::filesystem::path temp_db() { return test::temp_db("history"); }

constexpr MessageId kNewest{std::numeric_limits<std::int64_t>::max()};

struct Sent {
  std::int64_t id, from, to;
  std::int64_t sender_seq, recipient_seq;
  std::string text;
};

// Writes chats and remembers them; each batch is one commit (one log block).
class Chats {
 public:
  explicit Chats(SqliteDatabase& writer) : writer_(writer) {}
  void batch(const std::vector<std::pair<std::int64_t, std::int64_t>>& from_to) {
    writer_.begin();
    for (auto [from, to] : from_to) {
      std::string text = "m" + std::to_string(sent_.size() + 1) + " é'\";--";
      auto r = writer_.insert_chat({UserId{from}, UserId{to}, text, std::nullopt,
                                    1000 + static_cast<std::int64_t>(sent_.size())});
      sent_.push_back({raw(r.id), from, to, raw(r.sender_seq), raw(r.recipient_seq), text});
    }
    writer_.commit();
  }
  void one(std::int64_t from, std::int64_t to) { batch({{from, to}}); }

  // The conversation of u and p, newest first.
  std::vector<Sent> conversation(std::int64_t u, std::int64_t p) const {
    std::vector<Sent> out;
    for (auto it = sent_.rbegin(); it != sent_.rend(); ++it) {
      if ((it->from == u && it->to == p) || (it->from == p && it->to == u)) out.push_back(*it);
    }
    return out;
  }
  // (partner, last id, received) for u, newest first.
  struct Row {
    std::int64_t partner, last_id, received;
  };
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
  SqliteDatabase& writer_;
  std::vector<Sent> sent_;
};

// Pages through u's conversation with p, `limit` at a time, and checks
// every message once, newest first, with u's seq and the exact text.
void expect_conversation(SqliteDatabase& reader, const Chats& chats, std::int64_t u, std::int64_t p,
                         std::size_t limit) {
  auto expected = chats.conversation(u, p);
  std::vector<store::HistoryMessage> got;
  MessageId before = kNewest;
  for (int pages = 0;; ++pages) {
    ASSERT_LT(pages, 100000);
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

// Pages through u's conversation list and checks order, last messages and
// unread counts (`read` = messages from each partner marked read).
void expect_list(SqliteDatabase& reader, const Chats& chats, std::int64_t u, std::size_t limit,
                 const std::map<std::int64_t, std::int64_t>& read = {}) {
  auto expected = chats.conversations(u);
  std::vector<store::ConversationSummary> got;
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
}  // namespace

TEST(History, PagesNewestFirstWithCursorsInBothDirections) {
  auto file = temp_db();
  SqliteDatabase writer(file);
  SqliteDatabase reader(file);
  Chats chats(writer);
  for (int i = 0; i < 23; ++i) chats.batch({{1, 2}, {2, 1}, {3, 1}});
  expect_conversation(reader, chats, 1, 2, 5);
  expect_conversation(reader, chats, 2, 1, 5);  // the same chats, user 2's seqs
  expect_conversation(reader, chats, 1, 3, 7);
  expect_conversation(reader, chats, 2, 3, 5);  // none between 2 and 3
  expect_conversation(reader, chats, 1, 2, 100);

  // The first page: newest first, the cursor past it.
  auto first = reader.read_conversation(UserId{1}, UserId{2}, kNewest, 3);
  ASSERT_EQ(first.messages.size(), 3u);
  EXPECT_TRUE(first.more);
  EXPECT_GT(raw(first.messages[0].id), raw(first.messages[1].id));
  auto next = reader.read_conversation(UserId{1}, UserId{2}, first.messages.back().id, 3);
  EXPECT_LT(raw(next.messages.front().id), raw(first.messages.back().id));  // exclusive cursor
}

TEST(History, ANewUserHasNoConversations) {
  auto file = temp_db();
  SqliteDatabase writer(file);
  SqliteDatabase reader(file);
  Chats chats(writer);
  chats.one(1, 2);
  auto list = reader.list_conversations(UserId{7}, kNewest, 20);
  EXPECT_TRUE(list.conversations.empty());
  EXPECT_FALSE(list.more);
  auto page = reader.read_conversation(UserId{7}, UserId{1}, kNewest, 50);
  EXPECT_TRUE(page.messages.empty());
  EXPECT_FALSE(page.more);
  EXPECT_EQ(page.received, 0);
}

TEST(History, UnreadCountsAndMarkRead) {
  auto file = temp_db();
  SqliteDatabase writer(file);
  SqliteDatabase reader(file);
  Chats chats(writer);
  chats.batch({{2, 1}, {2, 1}, {1, 2}, {3, 1}, {2, 1}});
  expect_list(reader, chats, 1, 20);  // 3 unread from 2, 1 from 3
  expect_list(reader, chats, 2, 20);  // 1 unread from 1

  auto page = reader.read_conversation(UserId{1}, UserId{2}, kNewest, 50);
  EXPECT_EQ(page.received, 3);
  EXPECT_EQ(page.read, 0);
  EXPECT_EQ(raw(page.newest), 5);
  writer.begin();
  writer.mark_conversation_read(UserId{1}, UserId{2}, page.newest, page.received);
  writer.commit();
  expect_list(reader, chats, 1, 20, {{2, 3}});
  EXPECT_EQ(reader.read_conversation(UserId{1}, UserId{2}, kNewest, 50).read, 3);

  chats.one(2, 1);  // one more: unread 1
  expect_list(reader, chats, 1, 20, {{2, 3}});
  // An older read state never replaces a newer one.
  writer.begin();
  writer.mark_conversation_read(UserId{1}, UserId{2}, MessageId{2}, 2);
  writer.commit();
  expect_list(reader, chats, 1, 20, {{2, 3}});
  // Reading only marks the reader's side.
  expect_list(reader, chats, 2, 20);
}

// The log, the archive, and both while the fold's blocks are released: every
// page and list the same, each chat once; read state carried across the fold.
TEST(History, EveryChatOnceBeforeDuringAndAfterAFold) {
  auto file = temp_db();
  SqliteDatabase writer(file);
  SqliteDatabase folder(file);
  SqliteDatabase reader(file);
  Chats chats(writer);
  // User 1 with partners 2..11: a fold's worth, 1024 chats per commit.
  constexpr int kFold = 16384, kPerBlock = 1024;
  for (int b = 0; b < kFold / kPerBlock; ++b) {
    std::vector<std::pair<std::int64_t, std::int64_t>> batch;
    for (int i = 0; i < kPerBlock; ++i) {
      int n = b * kPerBlock + i;
      std::int64_t partner = 2 + (n * 7 + n / 13) % 10;
      batch.push_back(n % 3 == 0 ? std::pair<std::int64_t, std::int64_t>{1, partner}
                                 : std::pair<std::int64_t, std::int64_t>{partner, 1});
    }
    chats.batch(batch);
  }
  auto check = [&](const std::map<std::int64_t, std::int64_t>& read) {
    expect_list(reader, chats, 1, 3, read);
    expect_list(reader, chats, 4, 20);
    expect_conversation(reader, chats, 1, 2, 50);
    expect_conversation(reader, chats, 5, 1, 97);
  };
  check({});  // all in the log

  // User 1 reads partner 2's conversation while it is all in the log.
  auto page = reader.read_conversation(UserId{1}, UserId{2}, kNewest, 50);
  writer.begin();
  writer.mark_conversation_read(UserId{1}, UserId{2}, page.newest, page.received);
  writer.commit();
  std::map<std::int64_t, std::int64_t> read{{2, page.received}};

  ASSERT_TRUE(folder.compact());  // all in the archive too, still in the log
  check(read);
  for (int commit = 0; commit < 8; ++commit) {  // the log released a slice at a time
    writer.begin();
    writer.set_last_seen(UserId{1}, commit);
    writer.commit();
    check(read);
  }
  // New chats in the log, newer than the archive's: partners reorder, and a
  // partner in both places appears once, where its newest chat puts it.
  chats.batch({{7, 1}, {1, 3}, {2, 1}, {12, 1}});
  chats.one(9, 1);
  check(read);
  expect_list(reader, chats, 1, 1, read);
  EXPECT_EQ(raw(reader.list_conversations(UserId{1}, kNewest, 20).conversations.front().partner),
            9);
}

// Archive migration 4 fills archive.partners from the messages an older
// archive holds, so the list and unread counts cover chats from before it.
TEST(History, TheArchiveMigrationFillsPartnersFromOlderChats) {
  auto file = temp_db();
  std::vector<std::pair<std::int64_t, std::int64_t>> batch;
  for (int n = 0; n < 16384; ++n)
    batch.push_back(n % 5 == 0 ? std::pair<std::int64_t, std::int64_t>{1, 2 + n % 4}
                               : std::pair<std::int64_t, std::int64_t>{2 + n % 4, 1});
  {
    SqliteDatabase writer(file);
    SqliteDatabase folder(file);
    Chats chats(writer);
    chats.batch(batch);
    ASSERT_TRUE(folder.compact());
  }
  // Back to archive version 3: no partners table (nor version 5's
  // notification tables).
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(SqliteDatabase::archive_file(file).c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db, "DROP TABLE partners; DROP TABLE notification_runs; DROP TABLE notification_fold;"
                   " PRAGMA user_version = 3;", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);

  SqliteDatabase writer(file);  // migrates
  SqliteDatabase reader(file);
  auto list = reader.list_conversations(UserId{1}, kNewest, 20);
  ASSERT_EQ(list.conversations.size(), 4u);
  std::map<std::int64_t, std::int64_t> received, last;
  for (int n = 0; n < 16384; ++n) {
    auto [from, to] = batch[n];
    std::int64_t partner = from == 1 ? to : from;
    last[partner] = n + 1;  // ids from 1
    if (to == 1) ++received[partner];
  }
  for (const auto& c : list.conversations) {
    EXPECT_EQ(raw(c.last.id), last[raw(c.partner)]);
    EXPECT_EQ(c.unread, received[raw(c.partner)]);
  }
  EXPECT_EQ(raw(list.conversations.front().partner), 2 + 16383 % 4);
}
