// PgDatabase: opening, migrations, transactions, users, accounts and
// refresh tokens (pg_database.hpp says where the rest is).
#include "store/pg/pg_database.hpp"

#include <algorithm>
#include <cctype>

#include "store/pg/pg_schema.hpp"

namespace herald::store::pg {

namespace {

// Advisory lock keys (any two constants of ours): the migrations, and the
// next account id.
constexpr std::int64_t kMigrationLock = 0x4865726d69677231;  // "Hermigr1"
constexpr std::int64_t kAccountIdLock = 0x4865726163637431;  // "Heracct1"

std::string lower(const std::string& s) {
  std::string out = s;
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// The user columns of database.hpp's UserRecord; last_seq from the seq
// allocator, which every write of the mailbox goes through.
constexpr const char* kUserColumns =
    "SELECT u.id, u.username, u.created_at, u.last_seen,"
    " (SELECT count(*) FROM follows WHERE followee_id = u.id),"
    " (SELECT count(*) FROM follows WHERE follower_id = u.id),"
    " coalesce((SELECT last_seq FROM mailbox_heads WHERE user_id = u.id), 0),"
    " u.mailbox_mark"
    " FROM users u";

UserRecord read_user(const PgResult& r, int row) {
  UserRecord u;
  u.id = UserId{r.integer(row, 0)};
  u.username = r.text(row, 1);
  u.created_at_ms = r.integer(row, 2);
  if (!r.is_null(row, 3)) u.last_seen_ms = r.integer(row, 3);
  u.followers_count = r.integer(row, 4);
  u.following_count = r.integer(row, 5);
  u.last_seq = Seq{r.integer(row, 6)};
  u.mailbox_mark = Seq{r.integer(row, 7)};
  return u;
}

}  // namespace

PgDatabase::PgDatabase(const std::string& url) : db_(url) { migrate(); }

PgDatabase::~PgDatabase() = default;

// Each missing migration in its own transaction, the version bumped in the
// same one; the advisory lock makes a second node starting at the same
// moment wait, then find nothing left to do.
void PgDatabase::migrate() {
  db_.run("CREATE TABLE IF NOT EXISTS herald_schema (version integer NOT NULL)");
  db_.exec("SELECT pg_advisory_lock($1)", {kMigrationLock});
  try {
    auto version = db_.exec("SELECT max(version) FROM herald_schema");
    std::size_t done = version.is_null(0, 0) ? 0 : static_cast<std::size_t>(version.integer(0, 0));
    for (std::size_t i = done; i < kPgMigrations.size(); ++i) {
      db_.run("BEGIN");
      try {
        db_.script(kPgMigrations[i]);
        db_.exec("INSERT INTO herald_schema (version) VALUES ($1)", {static_cast<std::int64_t>(i + 1)});
        db_.run("COMMIT");
      } catch (...) {
        db_.run("ROLLBACK");
        throw;
      }
    }
  } catch (...) {
    db_.exec("SELECT pg_advisory_unlock($1)", {kMigrationLock});
    throw;
  }
  db_.exec("SELECT pg_advisory_unlock($1)", {kMigrationLock});
}

// ---- transactions (the StorageRunner's group commit) ----

void PgDatabase::begin() { db_.run("BEGIN"); }
void PgDatabase::commit() { db_.run("COMMIT"); }
void PgDatabase::rollback() {
  savepoints_ = 0;
  db_.run("ROLLBACK");
}
void PgDatabase::savepoint() {
  db_.run("SAVEPOINT job");
  ++savepoints_;
}
void PgDatabase::release_savepoint() {
  db_.run("RELEASE SAVEPOINT job");
  --savepoints_;
}
void PgDatabase::rollback_to_savepoint() {
  db_.run("ROLLBACK TO SAVEPOINT job");
  db_.run("RELEASE SAVEPOINT job");
  --savepoints_;
}

// ---- users ----

std::vector<UserRecord> PgDatabase::load_users() {
  auto r = db_.exec(std::string(kUserColumns) + " ORDER BY u.id");
  std::vector<UserRecord> users;
  users.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) users.push_back(read_user(r, i));
  return users;
}

std::optional<UserRecord> PgDatabase::get_user(UserId id) {
  auto r = db_.exec(std::string(kUserColumns) + " WHERE u.id = $1", {raw(id)});
  if (r.rows() == 0) return std::nullopt;
  return read_user(r, 0);
}

void PgDatabase::add_user_if_absent(UserId id, const std::string& username, std::int64_t now_ms) {
  db_.exec("INSERT INTO users (id, username, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
           {raw(id), username, now_ms});
}

UserRecord PgDatabase::ensure_user(UserId id, const std::string& username, std::int64_t now_ms) {
  add_user_if_absent(id, username, now_ms);
  auto user = get_user(id);
  if (!user) throw StorageError("ensure_user: row vanished");
  return *user;
}

void PgDatabase::set_last_seen(UserId id, std::int64_t when_ms) {
  db_.exec("UPDATE users SET last_seen = $2 WHERE id = $1", {raw(id), when_ms});
}

// The name is taken case-insensitively (the unique username_lc). The id is
// the next above every user's, taken under a lock held to the commit, so
// two nodes registering at once cannot take the same one.
std::optional<UserRecord> PgDatabase::create_account(const std::string& username,
                                                     const std::string& password_hash,
                                                     const std::string& email, std::int64_t now_ms) {
  const std::string name_lc = lower(username);
  if (db_.exec("SELECT 1 FROM users WHERE username_lc = $1", {name_lc}).rows() > 0) return std::nullopt;
  db_.exec("SELECT pg_advisory_xact_lock($1)", {kAccountIdLock});
  Param mail = email.empty() ? Param(std::nullopt) : Param(email);
  auto r = db_.exec(
      "INSERT INTO users (id, username, username_lc, password_hash, email, created_at)"
      " SELECT coalesce(max(id), 0) + 1, $1, $2, $3, $4, $5 FROM users"
      " ON CONFLICT (username_lc) DO NOTHING RETURNING id",
      {username, name_lc, password_hash, mail, now_ms});
  if (r.rows() == 0) return std::nullopt;  // another node registered the name meanwhile
  return get_user(UserId{r.integer(0, 0)});
}

std::optional<AccountRecord> PgDatabase::find_account(const std::string& username) {
  auto r = db_.exec(
      "SELECT id, username, password_hash FROM users WHERE username_lc = $1 AND password_hash IS NOT NULL",
      {lower(username)});
  if (r.rows() == 0) return std::nullopt;
  return AccountRecord{UserId{r.integer(0, 0)}, r.text(0, 1), r.text(0, 2)};
}

// ---- refresh tokens (database.hpp: families, reuse revokes) ----

void PgDatabase::store_refresh_token(const std::string& jti, UserId user, std::int64_t expires_at,
                                     const std::string& family, std::int64_t now) {
  // A few expired tokens go with each new one: the table stays near the
  // live tokens without a sweep of its own.
  db_.exec(
      "DELETE FROM refresh_tokens WHERE jti IN"
      " (SELECT jti FROM refresh_tokens WHERE expires_at <= $1 ORDER BY expires_at LIMIT 8)",
      {now});
  db_.exec("INSERT INTO refresh_tokens (jti, user_id, expires_at, family) VALUES ($1, $2, $3, $4)",
           {jti, raw(user), expires_at, family});
}

RefreshRotation PgDatabase::rotate_refresh_token(const std::string& jti, UserId user,
                                                 const std::string& next_jti, std::int64_t next_expires_at,
                                                 std::int64_t now) {
  // FOR UPDATE: two nodes rotating the same token at once see it one after
  // the other, so the second sees it used (a reuse) rather than both rotating.
  auto r = db_.exec(
      "SELECT user_id, expires_at, used, coalesce(family, jti) FROM refresh_tokens WHERE jti = $1 FOR UPDATE",
      {jti});
  if (r.rows() == 0) return RefreshRotation::unknown;
  const UserId owner{r.integer(0, 0)};
  const std::int64_t expires_at = r.integer(0, 1);
  const bool used = r.text(0, 2) == "t";
  const std::string family = r.text(0, 3);
  if (owner != user) return RefreshRotation::unknown;
  if (used) {
    db_.exec("DELETE FROM refresh_tokens WHERE family = $1 OR jti = $1", {family});
    return RefreshRotation::reused;
  }
  if (expires_at <= now) return RefreshRotation::unknown;
  db_.exec("UPDATE refresh_tokens SET used = true WHERE jti = $1", {jti});
  store_refresh_token(next_jti, user, next_expires_at, family, now);
  return RefreshRotation::rotated;
}

// ---- the mailbox's seq allocator (chats and notifications) ----

Seq PgDatabase::take_seqs(UserId user, std::int64_t count) {
  auto r = db_.exec(
      "INSERT INTO mailbox_heads (user_id, last_seq) VALUES ($1, $2)"
      " ON CONFLICT (user_id) DO UPDATE SET last_seq = mailbox_heads.last_seq + $2 RETURNING last_seq",
      {raw(user), count});
  return Seq{r.integer(0, 0) - count + 1};
}

}  // namespace herald::store::pg
