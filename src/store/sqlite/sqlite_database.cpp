#include "store/sqlite/sqlite_database.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <span>
#include <thread>

#include "store/sqlite/archive_runs.hpp"
#include "store/sqlite/notification_pack.hpp"
#include "store/sqlite/schema.hpp"
#include "store/sqlite/statement.hpp"

namespace herald::store::sqlite {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

constexpr const char* kUserColumns =
    "SELECT id, username, created_at, last_seen,"
    " (SELECT COUNT(*) FROM follows WHERE followee_id = users.id),"
    " (SELECT COUNT(*) FROM follows WHERE follower_id = users.id),"
    " max((SELECT coalesce(max(last_seq), 0) FROM archive.mailbox_runs WHERE user_id = users.id),"
    "     coalesce((SELECT last_seq FROM archive.notification_runs WHERE user_id = users.id"
    "               ORDER BY last_id DESC LIMIT 1), 0)),"
    " mailbox_mark"
    " FROM users";

UserRecord read_user(const Statement& st) {
  UserRecord u;
  u.id = UserId{st.column_int(0)};
  u.username = st.column_text(1);
  u.created_at_ms = st.column_int(2);
  if (!st.column_is_null(3)) u.last_seen_ms = st.column_int(3);
  u.followers_count = st.column_int(4);
  u.following_count = st.column_int(5);
  u.last_seq = Seq{st.column_int(6)};
  u.mailbox_mark = Seq{st.column_int(7)};
  return u;
}

// kUserColumns' last_seq covers the archive's runs; a notification not
// folded yet may hold a later seq (the chat log is empty at open, and the
// writer's last_seq() is the exact one while running).
void with_unfolded_seqs(std::vector<UserRecord>& users,
                        const boost::unordered_flat_map<std::int64_t, std::int64_t>& unfolded) {
  if (unfolded.empty()) return;
  for (UserRecord& u : users) {
    if (auto it = unfolded.find(raw(u.id)); it != unfolded.end() && it->second > raw(u.last_seq)) {
      u.last_seq = Seq{it->second};
    }
  }
}

// Applies migrations [from, to) of `list` in one transaction. On the main
// connection BEGIN IMMEDIATE locks the attached archive too, which is fine
// at open: no other connection writes yet.
void apply_migrations(sqlite3* db, std::span<const std::string_view> list, std::size_t from,
                      std::size_t to) {
  if (from >= to) return;
  exec(db, "BEGIN IMMEDIATE");
  try {
    for (std::size_t i = from; i < to; ++i) exec(db, list[i]);
    exec(db, "PRAGMA user_version = " + std::to_string(to));
    exec(db, "COMMIT");
  } catch (...) {
    exec(db, "ROLLBACK");
    throw;
  }
}

std::size_t user_version(sqlite3* db) {
  // finalized before migrating: a live statement locks the schema against ALTER/DROP
  Statement version(db, "PRAGMA user_version");
  version.step();
  return static_cast<std::size_t>(version.column_int(0));
}

sqlite3* open_file(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(file.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw StorageError("open " + file.string() + ": " + message);
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

// The archive is created and migrated on a connection of its own, where
// its migrations' unqualified names mean the archive's tables.
void prepare_archive(const std::filesystem::path& file) {
  sqlite3* db = open_file(file);
  try {
    exec(db, "PRAGMA journal_mode=WAL");  // persistent: recorded in the file
    std::size_t current = user_version(db);
    apply_migrations(db, kArchiveMigrations, current, kPackRunsBeforeArchive);
    if (current <= kPackRunsBeforeArchive) {
      exec(db, "BEGIN IMMEDIATE");
      try {
        pack_rows_into_runs(db, "main", "main");
        exec(db, "COMMIT");
      } catch (...) {
        exec(db, "ROLLBACK");
        throw;
      }
    }
    apply_migrations(db, kArchiveMigrations, std::max(current, kPackRunsBeforeArchive),
                     kArchiveMigrations.size());
  } catch (...) {
    sqlite3_close(db);
    throw;
  }
  sqlite3_close(db);
}

// herald_pack_recipient(user_id, seq): one batch recipient as packed by
// notification_pack.hpp, for main migration 10, which turns each old
// notification row into a batch of one.
void register_pack_recipient(sqlite3* db) {
  auto pack = [](sqlite3_context* ctx, int, sqlite3_value** args) {
    std::string out;
    pack_recipient(out, sqlite3_value_int64(args[0]), sqlite3_value_int64(args[1]));
    sqlite3_result_blob(ctx, out.data(), static_cast<int>(out.size()), SQLITE_TRANSIENT);
  };
  if (sqlite3_create_function_v2(db, "herald_pack_recipient", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                 nullptr, pack, nullptr, nullptr, nullptr) != SQLITE_OK) {
    throw StorageError(std::string("register herald_pack_recipient: ") + sqlite3_errmsg(db));
  }
}

}  // namespace

std::filesystem::path SqliteDatabase::archive_file(const std::filesystem::path& main_file) {
  return main_file.parent_path() /
         (main_file.stem().string() + "-archive" + main_file.extension().string());
}

SqliteDatabase::SqliteDatabase(const std::filesystem::path& file, Durability durability) {
  prepare_archive(archive_file(file));
  db_ = open_file(file);
  try {
    // WAL + synchronous=NORMAL: a commit is durable against a process crash;
    // group commit (StorageRunner) amortises the fsync at checkpoint.
    // A larger page cache keeps hot index pages in memory. Checkpoints are
    // in sqlite_wal.cpp: the maintenance thread's every half second, the
    // writer's own every 64 MiB of WAL, after its batch's acks (the hook
    // below replaces SQLite's automatic checkpoint). (Checkpointing every
    // 1000 pages inside the writer stalled pending acks on fsync: the chat
    // run left a fifth of the core idle.) journal_size_limit trims a WAL
    // that has started over. secure_delete=FAST (Debian builds SQLite with
    // it ON): the log's released blocks are not rewritten as zeros, pages
    // and WAL frames of their own; their chats live on in the archive, so
    // zeroing the log's copy hid nothing, and it doubled main's WAL.
    exec(db_,
         "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
         " PRAGMA cache_size=-65536; PRAGMA journal_size_limit=67108864;"
         " PRAGMA main.secure_delete=FAST;");
    sqlite3_wal_hook(db_, &SqliteDatabase::on_wal_commit, this);
    attach_archive(archive_file(file));
    if (durability == Durability::full) exec(db_, "PRAGMA synchronous=FULL; PRAGMA archive.synchronous=FULL;");
    migrate();
    statements_ = std::make_unique<Statements>(db_);
    fold_leftovers();
  } catch (...) {
    statements_.reset();
    sqlite3_close_v2(db_);
    throw;
  }
}

Durability SqliteDatabase::durability() {
  // 1 = NORMAL, 2 = FULL (3 = EXTRA counts as full too).
  return scalar("PRAGMA synchronous") >= 2 ? Durability::full : Durability::normal;
}

void SqliteDatabase::attach_archive(const std::filesystem::path& file) {
  {
    Statement attach(db_, "ATTACH DATABASE ?1 AS archive");
    attach.bind(1, std::string_view(file.native()));
    attach.run();
  }
  // The archive is read through a memory map: a history page deep in a
  // busy conversation reads each of its 50 messages from its own page, most
  // of them outside the 64 MiB page cache, and a mapped page is a memory
  // read where an unmapped one is a pread and a copy. SQLite caps the map
  // at its compile-time limit (2 GiB in Debian's build); writes still go
  // through write(), as without the map. micro_bench's deep random page:
  // p99 278 -> 135 us over 10 million chats (docs/BENCHMARKS.md, History).
  exec(db_,
       "PRAGMA archive.synchronous=NORMAL; PRAGMA archive.cache_size=-65536;"
       " PRAGMA archive.journal_size_limit=67108864; PRAGMA archive.mmap_size=2147418112;");
}

SqliteDatabase::~SqliteDatabase() {
  statements_.reset();
  sqlite3_close_v2(db_);
}

void SqliteDatabase::migrate() {
  register_pack_recipient(db_);
  std::size_t current = user_version(db_);
  std::size_t move_at = kMoveChatsToArchiveBefore;
  apply_migrations(db_, kMigrations, current, std::min(kMigrations.size(), move_at));
  if (current <= move_at && kMigrations.size() > move_at) {
    move_chats_to_archive();
    apply_migrations(db_, kMigrations, move_at, kMigrations.size());
  } else {
    apply_migrations(db_, kMigrations, std::max(current, move_at), kMigrations.size());
  }
}

// Copies the main file's messages into the archive, and packs its mailbox
// rows and message pairs into the archive's runs, in a transaction that
// writes only the archive. Were the process to stop before migration 4
// drops them from main, this runs again at the next open, and INSERT OR
// IGNORE makes the second copy a no-op.
void SqliteDatabase::move_chats_to_archive() {
  exec(db_, "BEGIN");
  try {
    exec(db_,
         "INSERT OR IGNORE INTO archive.messages (id, from_user_id, to_user_id, body,"
         " client_msg_id, created_at, sender_seq, recipient_seq)"
         " SELECT id, from_user_id, to_user_id, body, client_msg_id, created_at, sender_seq,"
         " recipient_seq FROM main.messages ORDER BY id;");
    pack_rows_into_runs(db_, "main", "archive");
    exec(db_, "COMMIT");
  } catch (...) {
    exec(db_, "ROLLBACK");
    throw;
  }
}

// Transaction control runs as cached statements: the writer issues a
// savepoint pair per job, and parsing them each time showed in profiles.
void SqliteDatabase::run(const char* sql) { statements_->get(sql).run(); }
// BEGIN, not BEGIN IMMEDIATE: IMMEDIATE would take the archive's write
// lock too, and the fold holds that one. The writer is main's only writer,
// so its first write takes main's lock without a wait.
void SqliteDatabase::begin() {
  if (chat_.loaded) keep_pace_with_fold();
  run("BEGIN");
}
void SqliteDatabase::commit() {
  // The block and the release share the batch's transaction: if COMMIT
  // fails, nothing of it is stored and rollback() makes the caches reload.
  write_block();
  release_folded_log();
  run("COMMIT");
  chat_.seq_undo.clear();
}
void SqliteDatabase::rollback() {
  chat_.forget();
  job_ = {};
  if (in_transaction()) run("ROLLBACK");
}
// A job's savepoint is a mark in the chat state; the SQL one is opened
// only if the job writes SQL (open_job_savepoint), so a chat job, which
// writes only the in-memory block, costs no statement at all.
void SqliteDatabase::savepoint() {
  job_ = {true, false, chat_.loaded, chat_.block.size(), chat_.next_message_id,
          chat_.seq_undo.size()};
}
void SqliteDatabase::open_job_savepoint() {
  if (!job_.active || job_.sql_savepoint || !in_transaction()) return;
  run("SAVEPOINT job");
  job_.sql_savepoint = true;
}
void SqliteDatabase::release_savepoint() {
  if (job_.sql_savepoint) run("RELEASE job");
  job_ = {};
}
void SqliteDatabase::rollback_to_savepoint() {
  bool sql_savepoint = job_.sql_savepoint;
  if (job_.active) undo_job_chats();
  job_ = {};
  if (sql_savepoint) {
    run("ROLLBACK TO job");
    run("RELEASE job");
  }
}

std::vector<UserRecord> SqliteDatabase::load_users() {
  static const std::string sql = std::string(kUserColumns) + " ORDER BY id";
  // The unfolded batches before the runs: a batch folded in between is
  // then in the runs the query reads (notification_index.hpp).
  auto unfolded = unfolded_notification_seqs();
  Statement& st = statements_->get(sql.c_str());
  std::vector<UserRecord> users;
  while (st.step()) users.push_back(read_user(st));
  with_unfolded_seqs(users, unfolded);
  return users;
}

std::vector<std::pair<UserId, UserId>> SqliteDatabase::load_follows() {
  Statement& st = statements_->get("SELECT follower_id, followee_id FROM follows");
  std::vector<std::pair<UserId, UserId>> edges;
  while (st.step()) edges.emplace_back(UserId{st.column_int(0)}, UserId{st.column_int(1)});
  return edges;
}

std::optional<UserRecord> SqliteDatabase::get_user(UserId id) {
  static const std::string sql = std::string(kUserColumns) + " WHERE id = ?1";
  auto unfolded = unfolded_notification_seqs();  // before the runs, as load_users
  Statement& st = statements_->get(sql.c_str());
  st.bind(1, raw(id));
  if (!st.step()) return std::nullopt;
  std::vector<UserRecord> u{read_user(st)};
  st.reset();
  with_unfolded_seqs(u, unfolded);
  return u.front();
}

void SqliteDatabase::add_user_if_absent(UserId id, const std::string& username,
                                        std::int64_t now_ms) {
  open_job_savepoint();
  statements_
      ->get("INSERT INTO users (id, username, created_at) VALUES (?1, ?2, ?3)"
            " ON CONFLICT(id) DO NOTHING")
      .bind(1, raw(id))
      .bind(2, std::string_view(username))
      .bind(3, now_ms)
      .run();
}

UserRecord SqliteDatabase::ensure_user(UserId id, const std::string& username,
                                       std::int64_t now_ms) {
  add_user_if_absent(id, username, now_ms);
  auto user = get_user(id);
  if (!user) throw StorageError("ensure_user: row vanished");
  return *user;
}

void SqliteDatabase::set_last_seen(UserId id, std::int64_t when_ms) {
  open_job_savepoint();
  statements_->get("UPDATE users SET last_seen = ?2 WHERE id = ?1")
      .bind(1, raw(id))
      .bind(2, when_ms)
      .run();
}

std::optional<UserRecord> SqliteDatabase::create_account(const std::string& username,
                                                         const std::string& password_hash,
                                                         const std::string& email,
                                                         std::int64_t now_ms) {
  open_job_savepoint();
  Statement& exists = statements_->get("SELECT 1 FROM users WHERE username_lc = ?1");
  exists.bind(1, std::string_view(lower(username)));
  if (exists.step()) {
    exists.reset();
    return std::nullopt;
  }
  statements_
      ->get("INSERT INTO users (username, username_lc, password_hash, email, created_at)"
            " VALUES (?1, ?2, ?3, ?4, ?5)")
      .bind(1, std::string_view(username))
      .bind(2, std::string_view(lower(username)))
      .bind(3, std::string_view(password_hash))
      .bind(4, email.empty() ? std::optional<std::string>() : std::optional<std::string>(email))
      .bind(5, now_ms)
      .run();
  return get_user(UserId{sqlite3_last_insert_rowid(db_)});
}

std::optional<AccountRecord> SqliteDatabase::find_account(const std::string& username) {
  Statement& st = statements_->get(
      "SELECT id, username, password_hash FROM users"
      " WHERE username_lc = ?1 AND password_hash IS NOT NULL");
  st.bind(1, std::string_view(lower(username)));
  if (!st.step()) return std::nullopt;
  AccountRecord a{UserId{st.column_int(0)}, st.column_text(1), st.column_text(2)};
  st.reset();
  return a;
}

void SqliteDatabase::store_refresh_token(const std::string& jti, UserId user,
                                         std::int64_t expires_at, const std::string& family,
                                         std::int64_t now) {
  open_job_savepoint();
  // A few expired tokens go with each new one (by the expiry index): the
  // table stays near the live tokens without a sweep of its own.
  statements_
      ->get("DELETE FROM refresh_tokens WHERE rowid IN"
            " (SELECT rowid FROM refresh_tokens WHERE expires_at <= ?1 ORDER BY expires_at LIMIT 8)")
      .bind(1, now)
      .run();
  statements_
      ->get("INSERT INTO refresh_tokens (jti, user_id, expires_at, family) VALUES (?1, ?2, ?3, ?4)")
      .bind(1, std::string_view(jti))
      .bind(2, raw(user))
      .bind(3, expires_at)
      .bind(4, std::string_view(family))
      .run();
}

RefreshRotation SqliteDatabase::rotate_refresh_token(const std::string& jti, UserId user,
                                                     const std::string& next_jti,
                                                     std::int64_t next_expires_at,
                                                     std::int64_t now) {
  open_job_savepoint();
  // A token stored before families existed has none: it starts its own.
  Statement& find = statements_->get(
      "SELECT user_id, expires_at, used, coalesce(family, jti) FROM refresh_tokens WHERE jti = ?1");
  find.bind(1, std::string_view(jti));
  if (!find.step()) return RefreshRotation::unknown;
  const UserId owner{find.column_int(0)};
  const std::int64_t expires_at = find.column_int(1);
  const bool used = find.column_int(2) != 0;
  const std::string family = find.column_text(3);
  find.reset();
  if (owner != user) return RefreshRotation::unknown;
  if (used) {
    statements_->get("DELETE FROM refresh_tokens WHERE family = ?1 OR jti = ?1")
        .bind(1, std::string_view(family))
        .run();
    return RefreshRotation::reused;
  }
  if (expires_at <= now) return RefreshRotation::unknown;
  statements_->get("UPDATE refresh_tokens SET used = 1 WHERE jti = ?1")
      .bind(1, std::string_view(jti))
      .run();
  store_refresh_token(next_jti, user, next_expires_at, family, now);
  return RefreshRotation::rotated;
}

}  // namespace herald::store::sqlite
