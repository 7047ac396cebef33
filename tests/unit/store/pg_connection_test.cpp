// PgConnection against a real PostgreSQL started by the test
// (postgres_server.hpp): parameters never become SQL (metacharacters,
// unicode, NULL, 64-bit integers and bytes with every byte value round
// trip), transactions commit and roll back, a bad statement is a
// StorageError, and a server that goes away and comes back is reconnected
// to by the next call.
#include "store/pg/pg_connection.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <memory>

#include "postgres_server.hpp"
#include "store/database.hpp"

namespace herald::store::pg {
namespace {

class PgConnectionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (test::have_postgres()) server_ = std::make_unique<test::PostgresServer>();
  }
  static void TearDownTestSuite() { server_.reset(); }
  void SetUp() override {
    if (!server_) GTEST_SKIP() << "PostgreSQL 15 is not installed (scripts/install-deps.sh installs it)";
  }
  static std::unique_ptr<test::PostgresServer> server_;
};
std::unique_ptr<test::PostgresServer> PgConnectionTest::server_;

TEST_F(PgConnectionTest, ParametersRoundTripAndNeverBecomeSql) {
  PgConnection db(server_->url());
  db.run("CREATE TABLE IF NOT EXISTS t1 (id bigint PRIMARY KEY, name text, blob bytea)");
  db.run("TRUNCATE t1");
  const std::string evil = "'; DROP TABLE t1; -- \u2603 \U0001F600 \"q\" \\\\";
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes += static_cast<char>(b);
  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  db.exec("INSERT INTO t1 (id, name, blob) VALUES ($1, $2, $3)", {big, evil, Bytes{all_bytes}});
  db.exec("INSERT INTO t1 (id, name, blob) VALUES ($1, $2, $3)", {std::int64_t{-7}, std::nullopt, std::nullopt});
  PgResult r = db.exec("SELECT id, name, blob FROM t1 ORDER BY id");
  ASSERT_EQ(r.rows(), 2);
  EXPECT_EQ(r.integer(0, 0), -7);
  EXPECT_TRUE(r.is_null(0, 1));
  EXPECT_TRUE(r.is_null(0, 2));
  EXPECT_EQ(r.integer(1, 0), big);
  EXPECT_EQ(r.text(1, 1), evil);
  EXPECT_EQ(r.bytes(1, 2), all_bytes);
  EXPECT_EQ(db.exec("SELECT count(*) FROM t1 WHERE name = $1", {evil}).integer(0, 0), 1);
  EXPECT_EQ(db.exec("UPDATE t1 SET name = $1 WHERE id = $2", {std::string("x"), std::int64_t{-7}}).affected(), 1);
}

TEST_F(PgConnectionTest, TransactionsCommitAndRollBack) {
  PgConnection db(server_->url());
  db.run("CREATE TABLE IF NOT EXISTS t2 (n bigint)");
  db.run("TRUNCATE t2");
  db.run("BEGIN");
  db.exec("INSERT INTO t2 VALUES ($1)", {std::int64_t{1}});
  db.run("ROLLBACK");
  db.run("BEGIN");
  db.exec("INSERT INTO t2 VALUES ($1)", {std::int64_t{2}});
  db.run("COMMIT");
  PgResult r = db.exec("SELECT n FROM t2");
  ASSERT_EQ(r.rows(), 1);
  EXPECT_EQ(r.integer(0, 0), 2);
}

TEST_F(PgConnectionTest, ABadStatementIsAStorageErrorAndTheConnectionGoesOn) {
  PgConnection db(server_->url());
  EXPECT_THROW(db.run("SELEC 1"), StorageError);
  EXPECT_THROW(db.exec("SELECT $1::bigint", {std::string("not a number")}), StorageError);
  EXPECT_EQ(db.exec("SELECT 41 + $1::bigint", {std::int64_t{1}}).integer(0, 0), 42);
}

TEST_F(PgConnectionTest, NoServerIsAStorageError) {
  EXPECT_THROW(PgConnection("postgresql://herald@127.0.0.1:1/postgres"), StorageError);
}

TEST_F(PgConnectionTest, AServerThatComesBackIsReconnectedTo) {
  PgConnection db(server_->url());
  EXPECT_EQ(db.exec("SELECT 1").integer(0, 0), 1);
  server_->stop();
  EXPECT_THROW(db.exec("SELECT 1"), StorageError);
  EXPECT_THROW(db.exec("SELECT 1"), StorageError);  // still away: the reconnect fails too
  server_->start();
  EXPECT_EQ(db.exec("SELECT 2").integer(0, 0), 2);
}

}  // namespace
}  // namespace herald::store::pg
