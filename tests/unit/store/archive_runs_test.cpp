// Packed mailbox and conversation runs (store/sqlite/archive_runs.hpp),
// written through a real SQLite statement and read back.
#include "store/sqlite/archive_runs.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <vector>

#include "store/database.hpp"
#include "store/sqlite/statement.hpp"

using namespace herald::store::sqlite;

namespace {
struct MemoryDb {
  sqlite3* db = nullptr;
  MemoryDb() {
    sqlite3_open(":memory:", &db);
    exec(db,
         "CREATE TABLE mailbox_runs (user_id, last_seq, first_seq, entries,"
         " PRIMARY KEY (user_id, last_seq)) WITHOUT ROWID;"
         "CREATE TABLE conversation_runs (user_lo, user_hi, last_id, first_id, ids,"
         " PRIMARY KEY (user_lo, user_hi, last_id)) WITHOUT ROWID;");
  }
  ~MemoryDb() { sqlite3_close(db); }
};
}  // namespace

// Runs break where the user changes and after kMaxRunEntries entries; each
// reads back whole, in seq order, with its bounds in the key columns.
TEST(ArchiveRuns, MailboxRunsSplitByUserAndLengthAndReadBack) {
  MemoryDb m;
  std::vector<MailboxEntry> entries;
  for (std::int64_t s = 1; s <= 3; ++s) entries.push_back({1, s, 1, 100 + s, 1000 + s});
  for (std::int64_t s = 1; s <= static_cast<std::int64_t>(kMaxRunEntries) + 1; ++s) {
    entries.push_back({2, s, 2, 500 + s, 2000});
  }
  {
    Statement insert(m.db, "INSERT INTO mailbox_runs VALUES (?1, ?2, ?3, ?4)");
    insert_mailbox_runs(insert, entries);
  }
  Statement rows(m.db, "SELECT user_id, last_seq, first_seq, entries FROM mailbox_runs ORDER BY 1, 2");
  std::vector<MailboxEntry> back;
  std::vector<std::int64_t> bounds;
  while (rows.step()) {
    bounds.push_back(rows.column_int(2));
    bounds.push_back(rows.column_int(1));
    for (const auto& e : read_mailbox_run(rows.column_int(0), rows.column_blob(3))) back.push_back(e);
  }
  const auto max_run = static_cast<std::int64_t>(kMaxRunEntries);
  EXPECT_EQ(bounds, (std::vector<std::int64_t>{1, 3, 1, max_run, max_run + 1, max_run + 1}));
  ASSERT_EQ(back.size(), entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(back[i].user, entries[i].user);
    EXPECT_EQ(back[i].seq, entries[i].seq);
    EXPECT_EQ(back[i].kind, entries[i].kind);
    EXPECT_EQ(back[i].ref_id, entries[i].ref_id);
    EXPECT_EQ(back[i].created_at, entries[i].created_at);
  }
}

TEST(ArchiveRuns, ConversationRunsKeepEachPairsIdsInOrder) {
  MemoryDb m;
  std::vector<ConversationEntry> entries = {{1, 2, 5}, {1, 2, 9}, {1, 3, 6}, {2, 3, 7}, {2, 3, 8}};
  {
    Statement insert(m.db, "INSERT INTO conversation_runs VALUES (?1, ?2, ?3, ?4, ?5)");
    insert_conversation_runs(insert, entries);
  }
  Statement rows(m.db, "SELECT user_lo, user_hi, first_id, last_id, ids FROM conversation_runs ORDER BY 1, 2, 3");
  std::vector<std::vector<std::int64_t>> runs;
  while (rows.step()) {
    auto ids = read_conversation_run(rows.column_blob(4));
    EXPECT_EQ(ids.front(), rows.column_int(2));
    EXPECT_EQ(ids.back(), rows.column_int(3));
    runs.push_back(ids);
  }
  EXPECT_EQ(runs, (std::vector<std::vector<std::int64_t>>{{5, 9}, {6}, {7, 8}}));
}

TEST(ArchiveRuns, MalformedRunsAreStorageErrors) {
  EXPECT_THROW(read_mailbox_run(1, std::string(31, 'x')), herald::store::StorageError);
  EXPECT_THROW(read_conversation_run(std::string(9, 'x')), herald::store::StorageError);
}
