// SQLite storage against a real database file in a temp directory.
#include "store/sqlite/sqlite_database.hpp"
#include "temp_db.hpp"

#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <chrono>
#include <future>
#include <thread>

#include <sqlite3.h>

#include "store/sqlite/schema.hpp"
#include "store/storage_runner.hpp"

using namespace herald;
using store::sqlite::SqliteDatabase;

namespace {
std::filesystem::path temp_db() { return test::temp_db("store"); }
}  // namespace

TEST(SqliteDatabase, AccountsAreUniqueCaseInsensitively) {
  SqliteDatabase db(temp_db());
  auto alice = db.create_account("Alice", "hash", "", 1000);
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->username, "Alice");
  EXPECT_FALSE(db.create_account("alice", "hash2", "", 1001));
  auto found = db.find_account("ALICE");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->password_hash, "hash");
}

TEST(SqliteDatabase, EnsureUserKeepsAnExistingName) {
  SqliteDatabase db(temp_db());
  db.ensure_user(UserId{42}, "bob", 1);
  auto again = db.ensure_user(UserId{42}, "robert", 2);
  EXPECT_EQ(again.username, "bob");
  EXPECT_EQ(again.created_at_ms, 1);
}

TEST(SqliteDatabase, ChatAdvancesBothMailboxesAndIsIdempotent) {
  SqliteDatabase db(temp_db());
  db.ensure_user(UserId{1}, "a", 1);
  db.ensure_user(UserId{2}, "b", 1);
  auto first = db.insert_chat({UserId{1}, UserId{2}, "hi", std::string("m1"), 10});
  EXPECT_FALSE(first.duplicate);
  EXPECT_EQ(raw(first.sender_seq), 1);
  EXPECT_EQ(raw(first.recipient_seq), 1);
  auto repeat = db.insert_chat({UserId{1}, UserId{2}, "hi", std::string("m1"), 20});
  EXPECT_TRUE(repeat.duplicate);
  EXPECT_EQ(raw(repeat.id), raw(first.id));
  auto second = db.insert_chat({UserId{2}, UserId{1}, "yo", std::nullopt, 30});
  EXPECT_EQ(raw(second.sender_seq), 2);
  EXPECT_EQ(raw(second.recipient_seq), 2);
  EXPECT_EQ(raw(db.last_seq(UserId{1})), 2);
}

TEST(SqliteDatabase, RefreshTokensRotateOnce) {
  using store::RefreshRotation;
  SqliteDatabase db(temp_db());
  db.store_refresh_token("jti1", UserId{3}, 100, "jti1", 0);
  EXPECT_EQ(db.rotate_refresh_token("jti1", UserId{4}, "x", 100, 50), RefreshRotation::unknown);
  EXPECT_EQ(db.rotate_refresh_token("jti1", UserId{3}, "jti2", 100, 50), RefreshRotation::rotated);
  EXPECT_EQ(db.rotate_refresh_token("jti2", UserId{3}, "jti3", 100, 50), RefreshRotation::rotated);
  EXPECT_EQ(db.rotate_refresh_token("nope", UserId{3}, "x", 100, 50), RefreshRotation::unknown);
  db.store_refresh_token("old", UserId{3}, 100, "old", 0);
  EXPECT_EQ(db.rotate_refresh_token("old", UserId{3}, "x", 300, 200), RefreshRotation::unknown);  // expired
}

// Presenting a rotated token again revokes its whole family, the newest
// token included; other families are untouched.
TEST(SqliteDatabase, ReusedRefreshTokenRevokesItsFamily) {
  using store::RefreshRotation;
  SqliteDatabase db(temp_db());
  db.store_refresh_token("a1", UserId{3}, 100, "a1", 0);
  db.store_refresh_token("b1", UserId{3}, 100, "b1", 0);
  ASSERT_EQ(db.rotate_refresh_token("a1", UserId{3}, "a2", 100, 10), RefreshRotation::rotated);
  ASSERT_EQ(db.rotate_refresh_token("a2", UserId{3}, "a3", 100, 10), RefreshRotation::rotated);
  EXPECT_EQ(db.rotate_refresh_token("a1", UserId{3}, "evil", 100, 10), RefreshRotation::reused);
  EXPECT_EQ(db.rotate_refresh_token("a3", UserId{3}, "a4", 100, 10), RefreshRotation::unknown);
  EXPECT_EQ(db.rotate_refresh_token("evil", UserId{3}, "x", 100, 10), RefreshRotation::unknown);
  EXPECT_EQ(db.rotate_refresh_token("b1", UserId{3}, "b2", 100, 10), RefreshRotation::rotated);
}

TEST(SqliteDatabase, DataSurvivesReopening) {
  auto file = temp_db();
  {
    SqliteDatabase db(file);
    db.ensure_user(UserId{9}, "z", 1);
    db.set_last_seen(UserId{9}, 12345);
  }
  SqliteDatabase db(file);
  auto user = db.get_user(UserId{9});
  ASSERT_TRUE(user);
  EXPECT_EQ(user->last_seen_ms, 12345);
}

TEST(StorageRunner, CompletionsRunAfterCommitAndFailuresAreIsolated) {
  auto file = temp_db();
  store::StorageRunner runner([file] { return std::make_unique<SqliteDatabase>(file); }, 1);
  std::promise<void> ok_done, bad_done;
  store::StorageJob ok;
  ok.work = [&](store::Database& db) -> std::function<void()> {
    db.ensure_user(UserId{1}, "a", 1);
    return [&] { ok_done.set_value(); };
  };
  store::StorageJob bad;
  bad.work = [](store::Database& db) -> std::function<void()> {
    db.ensure_user(UserId{2}, "b", 1);
    throw store::StorageError("boom");
  };
  bad.fail = [&](std::exception_ptr) { bad_done.set_value(); };
  runner.write(std::move(ok));
  runner.write(std::move(bad));
  ok_done.get_future().wait();
  bad_done.get_future().wait();
  runner.stop();
  SqliteDatabase db(file);
  EXPECT_TRUE(db.get_user(UserId{1}));
  EXPECT_FALSE(db.get_user(UserId{2}));  // rolled back to its savepoint
}

// A background job (nobody waits on it) may wait for company, but a job
// someone waits on, queued after it, runs after it: order is kept.
TEST(StorageRunner, BackgroundJobsKeepTheirPlaceInLine) {
  auto file = temp_db();
  store::StorageRunner runner([file] { return std::make_unique<SqliteDatabase>(file); }, 1);
  std::promise<bool> saw_user;
  std::promise<void> background_done;
  store::StorageJob behind;
  behind.background = true;
  behind.work = [&](store::Database& db) -> std::function<void()> {
    db.add_user_if_absent(UserId{7}, "seven", 1);
    return [&] { background_done.set_value(); };
  };
  store::StorageJob waited_on;
  waited_on.work = [&](store::Database& db) -> std::function<void()> {
    bool found = db.get_user(UserId{7}).has_value();
    return [&, found] { saw_user.set_value(found); };
  };
  runner.write(std::move(behind));
  runner.write(std::move(waited_on));
  EXPECT_TRUE(saw_user.get_future().get());
  background_done.get_future().wait();

  // Alone, a background job still commits (after its gathering window).
  std::promise<void> alone_done;
  store::StorageJob alone;
  alone.background = true;
  alone.work = [&](store::Database& db) -> std::function<void()> {
    db.set_last_seen(UserId{7}, 99);
    return [&] { alone_done.set_value(); };
  };
  runner.write(std::move(alone));
  alone_done.get_future().wait();
  runner.stop();
  SqliteDatabase db(file);
  EXPECT_EQ(db.get_user(UserId{7})->last_seen_ms, 99);
}

// Seqs are allocated in memory by the writer; a job rolled back to its
// savepoint must not leave a gap or a reused seq in either mailbox, and a
// reopened database continues after the last stored seq.
TEST(SqliteDatabase, RolledBackChatLeavesNoSeqGap) {
  auto file = temp_db();
  {
    SqliteDatabase db(file);
    db.ensure_user(UserId{1}, "a", 1);
    db.ensure_user(UserId{2}, "b", 1);
    db.begin();
    db.savepoint();
    EXPECT_EQ(raw(db.insert_chat({UserId{1}, UserId{2}, "kept", std::nullopt, 10}).sender_seq), 1);
    db.release_savepoint();
    db.savepoint();
    EXPECT_EQ(raw(db.insert_chat({UserId{1}, UserId{2}, "undone", std::nullopt, 11}).sender_seq), 2);
    db.rollback_to_savepoint();
    db.savepoint();
    auto after = db.insert_chat({UserId{2}, UserId{1}, "next", std::nullopt, 12});
    db.release_savepoint();
    db.commit();
    EXPECT_EQ(raw(after.sender_seq), 2);     // user 2: "kept" was 1
    EXPECT_EQ(raw(after.recipient_seq), 2);  // user 1: 2 again, not 3
    db.begin();
    db.insert_chat({UserId{1}, UserId{2}, "lost", std::nullopt, 13});
    db.rollback();  // a whole failed group commit
    EXPECT_EQ(raw(db.last_seq(UserId{1})), 2);
  }
  SqliteDatabase db(file);
  EXPECT_EQ(raw(db.last_seq(UserId{1})), 2);
  EXPECT_EQ(raw(db.get_user(UserId{2})->last_seq), 2);
  EXPECT_EQ(raw(db.insert_chat({UserId{1}, UserId{2}, "again", std::nullopt, 14}).sender_seq), 3);
}

namespace {
// One integer, read through a separate connection (committed state).
std::int64_t query_int(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* raw_db = nullptr;
  EXPECT_EQ(sqlite3_open(file.c_str(), &raw_db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(raw_db, sql.c_str(), -1, &st, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
  std::int64_t n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(raw_db);
  return n;
}

std::int64_t count_rows(const std::filesystem::path& file, const std::string& table) {
  return query_int(file, "SELECT count(*) FROM " + table);
}

// Entries in the archive's mailboxes (32 bytes each in mailbox_runs).
std::int64_t mailbox_entries(const std::filesystem::path& archive) {
  return query_int(archive, "SELECT coalesce(sum(length(entries)), 0) / 32 FROM mailbox_runs");
}

// Writes `file` as an older version left it: the first `version`
// migrations of `list`, that user_version, then `rows`.
template <std::size_t N>
void write_old_schema(const std::filesystem::path& file, const std::array<std::string_view, N>& list,
                      std::size_t version, const std::string& rows = "") {
  std::string sql;
  for (std::size_t i = 0; i < version; ++i) sql += list[i];
  sql += "PRAGMA user_version = " + std::to_string(version) + ";" + rows;
  sqlite3* raw_db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &raw_db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw_db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw_db);
}

// Chats in the log: the blocks not yet released.
std::int64_t log_chats(const std::filesystem::path& file) {
  return query_int(file, "SELECT coalesce(sum(last_id - first_id + 1), 0) FROM chat_blocks");
}
}  // namespace

// Each stored token removes a few expired ones: the table does not keep
// every token ever issued.
TEST(SqliteDatabase, ExpiredRefreshTokensAreRemovedAsNewOnesArrive) {
  auto file = temp_db();
  {
    SqliteDatabase db(file);
    for (int i = 0; i < 20; ++i) {
      db.store_refresh_token("t" + std::to_string(i), UserId{1}, 100, "f", 0);
    }
    for (int i = 0; i < 3; ++i) db.store_refresh_token("n" + std::to_string(i), UserId{1}, 900, "g", 500);
  }
  EXPECT_EQ(query_int(file, "SELECT count(*) FROM refresh_tokens WHERE expires_at <= 500"), 0);
  EXPECT_EQ(query_int(file, "SELECT count(*) FROM refresh_tokens"), 3);
}

// A token stored before refresh families existed (schema 5) still rotates,
// starting a family named by its own jti, and its reuse revokes that family.
TEST(SqliteDatabase, RefreshTokenFromBeforeFamiliesRotates) {
  using store::RefreshRotation;
  auto file = temp_db();
  write_old_schema(file, store::sqlite::kMigrations, 5,
                   "INSERT INTO refresh_tokens (jti, user_id, expires_at) VALUES ('legacy', 7, 100);");
  SqliteDatabase db(file);
  EXPECT_EQ(db.rotate_refresh_token("legacy", UserId{7}, "next", 100, 10), RefreshRotation::rotated);
  EXPECT_EQ(db.rotate_refresh_token("legacy", UserId{7}, "again", 100, 10), RefreshRotation::reused);
  EXPECT_EQ(db.rotate_refresh_token("next", UserId{7}, "x", 100, 10), RefreshRotation::unknown);
}

// A database created by the first schema version (users.last_seq column,
// two direction indexes) opens and migrates with its chats intact.
TEST(SqliteDatabase, MigratesFromTheFirstSchema) {
  auto file = temp_db();
  write_old_schema(file, store::sqlite::kMigrations, 1,
                   "INSERT INTO users (id, username, created_at, last_seq) VALUES (1, 'a', 1, 1), (2, 'b', 1, 1);"
                   "INSERT INTO messages VALUES (1, 1, 2, 'hi', 'c1', 5, 1, 1);"
                   "INSERT INTO mailbox VALUES (1, 1, 1, 1, 5), (2, 1, 1, 1, 5);");
  SqliteDatabase db(file);
  auto archive = SqliteDatabase::archive_file(file);
  EXPECT_EQ(count_rows(archive, "messages"), 1);
  EXPECT_EQ(mailbox_entries(archive), 2);
  EXPECT_EQ(count_rows(file, "sqlite_master WHERE name IN ('messages', 'mailbox')"), 0);
  EXPECT_EQ(count_rows(archive, "sqlite_master WHERE name IN ('mailbox', 'messages_pair')"), 0);
  EXPECT_EQ(query_int(archive, "SELECT first_id FROM conversation_runs WHERE user_lo = 1 AND user_hi = 2"), 1);
  EXPECT_EQ(raw(db.last_seq(UserId{2})), 1);
  auto repeat = db.insert_chat({UserId{1}, UserId{2}, "hi", std::string("c1"), 6});
  EXPECT_TRUE(repeat.duplicate);
  auto next = db.insert_chat({UserId{2}, UserId{1}, "yo", std::nullopt, 7});
  EXPECT_EQ(raw(next.sender_seq), 2);
  EXPECT_EQ(raw(next.recipient_seq), 2);
}


// A stop between the copy into the archive and migration 4's drop leaves
// the rows in both files; the next open copies again without doubling them.
TEST(SqliteDatabase, InterruptedMoveToTheArchiveIsRepeatedSafely) {
  auto file = temp_db();
  auto archive = SqliteDatabase::archive_file(file);
  const std::string rows =
      "INSERT INTO messages VALUES (1, 1, 2, 'hi', 'c1', 5, 1, 1);"
      "INSERT INTO mailbox VALUES (1, 1, 1, 1, 5), (2, 1, 1, 1, 5);";
  write_old_schema(file, store::sqlite::kMigrations, store::sqlite::kMoveChatsToArchiveBefore,
                   "INSERT INTO users (id, username, created_at) VALUES (1, 'a', 1), (2, 'b', 1);" + rows);
  write_old_schema(archive, store::sqlite::kArchiveMigrations, 1, rows);
  SqliteDatabase db(file);
  EXPECT_EQ(count_rows(archive, "messages"), 1);
  EXPECT_EQ(mailbox_entries(archive), 2);
  EXPECT_EQ(raw(db.last_seq(UserId{1})), 1);
  EXPECT_TRUE(db.insert_chat({UserId{1}, UserId{2}, "hi", std::string("c1"), 6}).duplicate);
}

// Chats gather in the log, a block per commit; compact(), on another
// connection (the fold thread's), folds them into the archive once 16384
// have gathered, cutting through a block if need be, and the writer then
// releases the blocks it folded whole. Ids, seqs and idempotency run on
// across the fold and the release.
TEST(SqliteDatabase, ChatLogFoldKeepsIdsSeqsAndIdempotency) {
  auto file = temp_db();
  auto archive = SqliteDatabase::archive_file(file);
  SqliteDatabase db(file);
  SqliteDatabase folder(file);
  db.ensure_user(UserId{1}, "a", 1);
  db.ensure_user(UserId{2}, "b", 1);
  constexpr int kFold = 16384;  // rows per fold
  constexpr int kChats = kFold + 6;
  db.begin();
  for (int i = 0; i < kFold - 1; ++i) {
    auto r = db.insert_chat({UserId{1}, UserId{2}, "x", "m" + std::to_string(i), 100 + i});
    ASSERT_EQ(raw(r.sender_seq), i + 1);
  }
  db.commit();
  EXPECT_EQ(count_rows(file, "chat_blocks"), 1);  // one commit, one block
  EXPECT_FALSE(folder.compact());  // one short of a fold
  db.begin();
  for (int i = kFold - 1; i < kChats; ++i) {
    db.insert_chat({UserId{1}, UserId{2}, "x", "m" + std::to_string(i), 1});
  }
  db.commit();
  EXPECT_TRUE(folder.compact());   // the oldest kFold: the first block and one of the second
  EXPECT_FALSE(folder.compact());  // six left: too few
  EXPECT_EQ(count_rows(archive, "messages"), kFold);
  EXPECT_EQ(mailbox_entries(archive), 2 * kFold);
  // Runs of at most 4096 entries: four per user, and four for the one
  // conversation: rows grow per 4096 chats, not per chat.
  EXPECT_EQ(count_rows(archive, "mailbox_runs"), 2 * (kFold / 4096));
  EXPECT_EQ(query_int(archive, "SELECT max(last_seq) FROM mailbox_runs WHERE user_id = 2"), kFold);
  EXPECT_EQ(count_rows(archive, "conversation_runs"), kFold / 4096);
  EXPECT_EQ(log_chats(file), kChats);  // not yet released

  db.begin();
  auto folded = db.insert_chat({UserId{1}, UserId{2}, "x", std::string("m3"), 1});
  EXPECT_TRUE(folded.duplicate);
  EXPECT_EQ(raw(folded.sender_seq), 4);
  auto next = db.insert_chat({UserId{2}, UserId{1}, "y", std::string("n1"), 2});
  EXPECT_FALSE(next.duplicate);
  EXPECT_EQ(raw(next.id), kChats + 1);
  EXPECT_EQ(raw(next.sender_seq), kChats + 1);  // user 2 received every chat above
  db.commit();
  // The first block went; the second, folded in part, stays with n1's.
  EXPECT_EQ(count_rows(file, "chat_blocks"), 2);
  EXPECT_EQ(log_chats(file), kChats - (kFold - 1) + 1);

  db.begin();
  auto released = db.insert_chat({UserId{1}, UserId{2}, "x", std::string("m3"), 3});
  EXPECT_TRUE(released.duplicate);  // now answered by the archive alone
  EXPECT_EQ(raw(released.id), 4);
  auto pending = db.insert_chat({UserId{2}, UserId{1}, "y", std::string("n1"), 3});
  EXPECT_TRUE(pending.duplicate);  // still in the log
  EXPECT_EQ(raw(pending.id), raw(next.id));
  auto unfolded = db.insert_chat({UserId{1}, UserId{2}, "x", "m" + std::to_string(kChats - 1), 3});
  EXPECT_TRUE(unfolded.duplicate);
  EXPECT_EQ(raw(unfolded.id), kChats);
  db.commit();
  EXPECT_EQ(raw(db.last_seq(UserId{1})), kChats + 1);
  EXPECT_EQ(raw(folder.last_seq(UserId{2})), kChats + 1);  // a reader sees both places

  db.begin();
  db.insert_chat({UserId{1}, UserId{2}, "x", std::nullopt, 4});
  db.rollback();  // reloads its view of the log and the archive
  db.begin();
  auto after_rollback = db.insert_chat({UserId{1}, UserId{2}, "x", std::nullopt, 5});
  EXPECT_EQ(raw(after_rollback.id), kChats + 2);
  EXPECT_EQ(raw(after_rollback.sender_seq), kChats + 2);
  db.commit();
}

// The fold holds the archive's write lock for a whole fold; the writer
// never takes that lock, so its commits go on meanwhile (a lock wait would
// end in a StorageError after the 5 s busy timeout).
TEST(SqliteDatabase, WriterCommitsWhileTheArchiveIsLocked) {
  auto file = temp_db();
  SqliteDatabase db(file);
  db.ensure_user(UserId{1}, "a", 1);
  db.ensure_user(UserId{2}, "b", 1);
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(SqliteDatabase::archive_file(file).c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  db.begin();
  auto r = db.insert_chat({UserId{1}, UserId{2}, "hi", std::string("c1"), 10});
  EXPECT_NO_THROW(db.commit());
  db.begin();
  EXPECT_TRUE(db.insert_chat({UserId{1}, UserId{2}, "hi", std::string("c1"), 11}).duplicate);
  db.commit();
  sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(holder);
  EXPECT_EQ(raw(r.id), 1);
  EXPECT_EQ(log_chats(file), 1);
}

// A fold that cannot write the archive (here: another connection holds its
// write lock past the busy timeout) fails as a StorageError, loses nothing,
// and the next attempt folds everything.
TEST(SqliteDatabase, FailedFoldLosesNothingAndIsRetried) {
  auto file = temp_db();
  auto archive = SqliteDatabase::archive_file(file);
  SqliteDatabase db(file);
  SqliteDatabase folder(file);
  db.ensure_user(UserId{1}, "a", 1);
  db.ensure_user(UserId{2}, "b", 1);
  constexpr int kChats = 16384;
  db.begin();
  for (int i = 0; i < kChats; ++i) db.insert_chat({UserId{1}, UserId{2}, "x", "k" + std::to_string(i), i});
  db.commit();
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(archive.c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_THROW(folder.compact(), store::StorageError);
  sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(holder);
  EXPECT_EQ(count_rows(archive, "messages"), 0);
  EXPECT_EQ(log_chats(file), kChats);
  EXPECT_TRUE(folder.compact());
  EXPECT_EQ(count_rows(archive, "messages"), kChats);
  EXPECT_EQ(mailbox_entries(archive), 2 * kChats);
  db.begin();
  EXPECT_TRUE(db.insert_chat({UserId{1}, UserId{2}, "x", std::string("k7"), 0}).duplicate);
  db.commit();
}

// With no fold running, a writer more than four folds ahead waits for
// one, but only so long: chats slow down, they never stop (fold_pace.hpp).
TEST(SqliteDatabase, WriterWaitsForTheFoldBoundedly) {
  auto file = temp_db();
  SqliteDatabase db(file);
  SqliteDatabase folder(file);  // opened first: an open folds any log it finds
  db.ensure_user(UserId{1}, "a", 1);
  db.ensure_user(UserId{2}, "b", 1);
  constexpr int kUnfolded = 4 * 16384 + 1;
  db.begin();
  for (int i = 0; i < kUnfolded; ++i) db.insert_chat({UserId{1}, UserId{2}, "x", std::nullopt, i});
  db.commit();
  auto started = std::chrono::steady_clock::now();
  db.begin();  // waits for a fold that never comes, then goes on
  auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(raw(db.insert_chat({UserId{1}, UserId{2}, "x", std::nullopt, 0}).id), kUnfolded + 1);
  db.commit();
  EXPECT_GE(waited, std::chrono::seconds(1));

  EXPECT_TRUE(folder.compact());  // 16384 of them
  started = std::chrono::steady_clock::now();
  db.begin();  // back under the limit: a pause at most, no wait
  waited = std::chrono::steady_clock::now() - started;
  db.commit();
  EXPECT_LT(waited, std::chrono::seconds(1));
}

// After a fold the writer releases the folded blocks oldest first, an
// eighth of a fold's chats per commit, not all in the commit after the
// fold (that commit took 5-10 ms, and every ack of its batch waited).
// Idempotency holds for released chats: the archive answers for them.
TEST(SqliteDatabase, FoldedBlocksLeaveTheLogAFewPerCommit) {
  auto file = temp_db();
  SqliteDatabase db(file);
  SqliteDatabase folder(file);
  db.ensure_user(UserId{1}, "a", 1);
  db.ensure_user(UserId{2}, "b", 1);
  constexpr int kBlocks = 64, kPerBlock = 256;  // one fold's worth
  for (int b = 0; b < kBlocks; ++b) {
    db.begin();
    for (int i = 0; i < kPerBlock; ++i) {
      int n = b * kPerBlock + i;
      db.insert_chat({UserId{1}, UserId{2}, "x", "k" + std::to_string(n), n});
    }
    db.commit();
  }
  EXPECT_TRUE(folder.compact());
  std::int64_t in_log = log_chats(file);
  EXPECT_EQ(in_log, kBlocks * kPerBlock);
  int commits = 0;
  while (in_log > 0 && commits < 100) {
    db.begin();
    db.set_last_seen(UserId{1}, commits);
    db.commit();
    ++commits;
    std::int64_t now = log_chats(file);
    EXPECT_GT(in_log - now, 0);
    EXPECT_LE(in_log - now, 16384 / 8);
    EXPECT_EQ(query_int(file, "SELECT min(first_id) FROM chat_blocks WHERE first_id > 0"),
              now > 0 ? kBlocks * kPerBlock - now + 1 : 0);
    in_log = now;
  }
  EXPECT_EQ(commits, 8);
  db.begin();
  EXPECT_TRUE(db.insert_chat({UserId{1}, UserId{2}, "x", std::string("k0"), 0}).duplicate);
  EXPECT_TRUE(db.insert_chat({UserId{1}, UserId{2}, "x", std::string("k16383"), 0}).duplicate);
  EXPECT_EQ(raw(db.insert_chat({UserId{1}, UserId{2}, "x", std::string("new"), 0}).id),
            kBlocks * kPerBlock + 1);
  db.commit();
}

// The fold writes its runs a slice at a time (yielding the core between
// slices), and a slice never cuts a run: a fold still writes one mailbox
// run per user and one conversation run per pair.
TEST(SqliteDatabase, FoldWritesOneRunPerUserAndPairWhateverItsSlices) {
  auto file = temp_db();
  auto archive = SqliteDatabase::archive_file(file);
  SqliteDatabase db(file);
  SqliteDatabase folder(file);
  constexpr int kPairs = 300;  // 600 users, about 55 entries each
  for (int u = 1; u <= 2 * kPairs; ++u) db.ensure_user(UserId{u}, "u" + std::to_string(u), 1);
  db.begin();
  for (int i = 0; i < 16384; ++i) {
    int pair = i % kPairs;
    db.insert_chat({UserId{2 * pair + 1}, UserId{2 * pair + 2}, "x", std::nullopt, i});
  }
  db.commit();
  EXPECT_TRUE(folder.compact());
  EXPECT_EQ(count_rows(archive, "mailbox_runs"), 2 * kPairs);
  EXPECT_EQ(count_rows(archive, "conversation_runs"), kPairs);
  EXPECT_EQ(mailbox_entries(archive), 2 * 16384);
}

// The writer's commits do not checkpoint main (SQLite's automatic
// checkpoint ran inside COMMIT, before any ack of the batch); after_batch()
// does, once the WAL passes 64 MiB, and main's WAL then starts over (and is
// trimmed to journal_size_limit) at the next commit.
TEST(SqliteDatabase, WriterCheckpointsMainAfterTheBatchNotInsideCommit) {
  auto file = temp_db();
  auto wal = std::filesystem::path(file.string() + "-wal");
  SqliteDatabase db(file);
  db.ensure_user(UserId{1}, "a", 1);
  db.ensure_user(UserId{2}, "b", 1);
  const std::string body(256 * 1024, 'x');  // 64 pages a chat
  constexpr int kChats = 320;                // about 80 MiB of WAL
  for (int i = 0; i < kChats; ++i) {
    db.begin();
    db.insert_chat({UserId{1}, UserId{2}, body, std::nullopt, i});
    db.commit();
  }
  constexpr std::uintmax_t kMiB = 1024 * 1024;
  EXPECT_GT(std::filesystem::file_size(wal), 72 * kMiB);  // never restarted
  db.after_batch();
  db.begin();
  auto next = db.insert_chat({UserId{1}, UserId{2}, "after", std::nullopt, kChats});
  db.commit();
  EXPECT_LE(std::filesystem::file_size(wal), 65 * kMiB);  // started over, trimmed
  EXPECT_EQ(raw(next.id), kChats + 1);
  EXPECT_EQ(raw(db.last_seq(UserId{2})), kChats + 1);
}

// From three quarters of the way to the writer's checkpoint, maintain()
// asks to be called again soon (every 10 ms instead of every 500), so the
// writer's checkpoint finds little left to copy and sync.
TEST(SqliteDatabase, MaintenanceAsksForPassesNearTheWritersCheckpoint) {
  auto file = temp_db();
  SqliteDatabase db(file);
  SqliteDatabase maintenance(file);
  db.ensure_user(UserId{1}, "a", 1);
  db.ensure_user(UserId{2}, "b", 1);
  EXPECT_FALSE(maintenance.maintain());
  const std::string body(256 * 1024, 'x');  // 64 pages a chat
  for (int i = 0; i < 200; ++i) {           // about 50 MiB of WAL: past 48
    db.begin();
    db.insert_chat({UserId{1}, UserId{2}, body, std::nullopt, i});
    db.commit();
  }
  EXPECT_TRUE(maintenance.maintain());
  db.after_batch();  // the WAL is not past 64 MiB yet: nothing to do
  db.begin();
  db.insert_chat({UserId{1}, UserId{2}, "after", std::nullopt, 200});
  db.commit();  // the pass above copied it all: the WAL starts over here
  EXPECT_FALSE(maintenance.maintain());
}

// A log left behind (a stop before the fold) is folded when the database
// opens again: start-up reads see every chat, and numbering continues.
TEST(SqliteDatabase, LeftoverChatLogIsFoldedOnOpen) {
  auto file = temp_db();
  auto archive = SqliteDatabase::archive_file(file);
  {
    SqliteDatabase db(file);
    db.ensure_user(UserId{1}, "a", 1);
    db.ensure_user(UserId{2}, "b", 1);
    db.begin();
    db.insert_chat({UserId{1}, UserId{2}, "one", std::string("c1"), 10});
    db.insert_chat({UserId{2}, UserId{1}, "two", std::nullopt, 11});
    db.commit();
  }
  EXPECT_EQ(log_chats(file), 2);
  SqliteDatabase db(file);
  EXPECT_EQ(log_chats(file), 0);
  EXPECT_EQ(count_rows(archive, "messages"), 2);
  EXPECT_EQ(mailbox_entries(archive), 4);
  auto users = db.load_users();
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(raw(users[0].last_seq), 2);
  db.begin();
  EXPECT_TRUE(db.insert_chat({UserId{1}, UserId{2}, "one", std::string("c1"), 12}).duplicate);
  auto third = db.insert_chat({UserId{1}, UserId{2}, "three", std::nullopt, 13});
  db.commit();
  EXPECT_EQ(raw(third.id), 3);
  EXPECT_EQ(raw(third.recipient_seq), 3);
}

// The fold thread of a StorageRunner folds without being asked: chats
// written through the runner end up in the archive and leave the log.
TEST(StorageRunner, FoldThreadMovesChatsToTheArchive) {
  auto file = temp_db();
  auto archive = SqliteDatabase::archive_file(file);
  constexpr int kChats = 16384;
  {
    store::StorageRunner runner([file] { return std::make_unique<SqliteDatabase>(file); }, 1);
    std::promise<void> written;
    store::StorageJob job;
    job.work = [&](store::Database& db) -> std::function<void()> {
      db.ensure_user(UserId{1}, "a", 1);
      db.ensure_user(UserId{2}, "b", 1);
      for (int i = 0; i < kChats; ++i) db.insert_chat({UserId{1}, UserId{2}, "x", std::nullopt, i});
      return [&] { written.set_value(); };
    };
    runner.write(std::move(job));
    written.get_future().wait();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (count_rows(archive, "messages") < kChats && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(count_rows(archive, "messages"), kChats);
    // The next commit releases the folded block.
    for (int i = 0; i < 200 && log_chats(file) > 0; ++i) {
      std::promise<void> done;
      store::StorageJob touch;
      touch.work = [&](store::Database& db) -> std::function<void()> {
        db.set_last_seen(UserId{1}, i);
        return [&] { done.set_value(); };
      };
      runner.write(std::move(touch));
      done.get_future().wait();
    }
    EXPECT_EQ(log_chats(file), 0);
  }
  SqliteDatabase db(file);
  EXPECT_EQ(raw(db.last_seq(UserId{2})), kChats);
}

// A job rolled back to its savepoint takes its pending idempotency entry
// with it, while earlier jobs' entries survive (reloaded from the log).
TEST(SqliteDatabase, RollbackKeepsIdempotencyOfEarlierJobs) {
  SqliteDatabase db(temp_db());
  db.ensure_user(UserId{1}, "a", 1);
  db.ensure_user(UserId{2}, "b", 1);
  db.begin();
  db.savepoint();
  auto kept = db.insert_chat({UserId{1}, UserId{2}, "kept", std::string("k"), 1});
  db.release_savepoint();
  db.savepoint();
  db.insert_chat({UserId{1}, UserId{2}, "undone", std::string("u"), 2});
  db.rollback_to_savepoint();
  db.savepoint();
  auto again = db.insert_chat({UserId{1}, UserId{2}, "kept", std::string("k"), 3});
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(raw(again.id), raw(kept.id));
  auto retry = db.insert_chat({UserId{1}, UserId{2}, "undone", std::string("u"), 4});
  EXPECT_FALSE(retry.duplicate);  // the rolled-back one was never stored
  EXPECT_EQ(raw(retry.id), raw(kept.id) + 1);
  db.release_savepoint();
  db.commit();
}

// The connection path's insert: creates a missing user, never renames or
// touches an existing one.
TEST(SqliteDatabase, AddUserIfAbsentKeepsAnExistingUser) {
  SqliteDatabase db(temp_db());
  db.add_user_if_absent(UserId{5}, "eve", 10);
  db.add_user_if_absent(UserId{5}, "mallory", 20);
  auto user = db.get_user(UserId{5});
  ASSERT_TRUE(user);
  EXPECT_EQ(user->username, "eve");
  EXPECT_EQ(user->created_at_ms, 10);
}

// A job that wrote SQL and chats and is rolled back to its savepoint takes
// both with it; the jobs before and after it keep theirs, in one commit.
TEST(SqliteDatabase, RolledBackJobUndoesItsRowsAndItsChats) {
  auto file = temp_db();
  SqliteDatabase db(file);
  db.ensure_user(UserId{1}, "a", 1);
  db.ensure_user(UserId{2}, "b", 1);
  db.begin();
  db.savepoint();
  auto first = db.insert_chat({UserId{1}, UserId{2}, "first", std::string("f"), 1});
  db.release_savepoint();
  db.savepoint();
  db.add_user_if_absent(UserId{3}, "c", 2);
  db.insert_chat({UserId{1}, UserId{3}, "undone", std::string("u"), 2});
  db.rollback_to_savepoint();
  db.savepoint();
  auto third = db.insert_chat({UserId{2}, UserId{1}, "third", std::nullopt, 3});
  db.release_savepoint();
  db.commit();
  EXPECT_EQ(raw(third.id), raw(first.id) + 1);
  EXPECT_EQ(raw(third.recipient_seq), 2);
  EXPECT_FALSE(db.get_user(UserId{3}));
  EXPECT_EQ(log_chats(file), 2);
  SqliteDatabase reopened(file);  // folds the log on open
  EXPECT_EQ(count_rows(SqliteDatabase::archive_file(file), "messages"), 2);
  EXPECT_EQ(raw(reopened.last_seq(UserId{3})), 0);
  EXPECT_FALSE(reopened.insert_chat({UserId{1}, UserId{3}, "undone", std::string("u"), 4}).duplicate);
}

// A chat_log left by a version before chat blocks (schema 4) is folded
// into the archive on open and emptied; ids and seqs continue after it.
TEST(SqliteDatabase, LegacyChatLogIsFoldedOnOpen) {
  auto file = temp_db();
  auto archive = SqliteDatabase::archive_file(file);
  // Schema 4 has no messages or mailbox in main: the archive holds them.
  write_old_schema(file, store::sqlite::kMigrations, 4,
                   "INSERT INTO users (id, username, created_at) VALUES (1, 'a', 1), (2, 'b', 1);"
                   "INSERT INTO chat_log VALUES (1, 1, 2, 'hi', 'c1', 5, 1, 1), (2, 2, 1, 'yo', NULL, 6, 2, 2);");
  write_old_schema(archive, store::sqlite::kArchiveMigrations, 1);
  SqliteDatabase db(file);
  EXPECT_EQ(count_rows(file, "chat_log"), 0);
  EXPECT_EQ(count_rows(archive, "messages"), 2);
  EXPECT_EQ(mailbox_entries(archive), 4);
  EXPECT_EQ(raw(db.get_user(UserId{1})->last_seq), 2);
  EXPECT_TRUE(db.insert_chat({UserId{1}, UserId{2}, "hi", std::string("c1"), 7}).duplicate);
  auto next = db.insert_chat({UserId{1}, UserId{2}, "new", std::nullopt, 8});
  EXPECT_EQ(raw(next.id), 3);
  EXPECT_EQ(raw(next.sender_seq), 3);
}

// A damaged block (here: cut short behind SQLite's back) makes the fold
// fail as a StorageError, with the archive untouched and the block kept.
TEST(SqliteDatabase, DamagedBlockFailsTheFoldAndLosesNothing) {
  auto file = temp_db();
  auto archive = SqliteDatabase::archive_file(file);
  SqliteDatabase db(file);
  SqliteDatabase folder(file);
  db.ensure_user(UserId{1}, "a", 1);
  db.ensure_user(UserId{2}, "b", 1);
  constexpr int kChats = 16384;
  db.begin();
  for (int i = 0; i < kChats; ++i) db.insert_chat({UserId{1}, UserId{2}, "x", std::nullopt, i});
  db.commit();
  sqlite3* raw_db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &raw_db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw_db, "UPDATE chat_blocks SET records = substr(records, 1, length(records) - 3)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw_db);
  EXPECT_THROW(folder.compact(), store::StorageError);
  EXPECT_EQ(count_rows(archive, "messages"), 0);
  EXPECT_EQ(log_chats(file), kChats);
}
