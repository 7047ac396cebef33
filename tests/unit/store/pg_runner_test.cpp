// Two StorageRunners on one PostgreSQL, as two cluster nodes' writers: their
// group commits lock users' seq rows in whatever order their jobs come, so
// two batches can deadlock. PostgreSQL aborts one (ConflictError); its
// runner rolls the whole batch back and runs it again. So no job fails,
// every completion runs exactly once, and every user's seqs stay unique and
// gapless.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "pg_test_database.hpp"
#include "postgres_server.hpp"
#include "store/pg/pg_database.hpp"
#include "store/storage_runner.hpp"

namespace herald::store::pg {
namespace {

class PgRunnerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (test::have_postgres()) server_ = std::make_unique<test::PostgresServer>();
  }
  static void TearDownTestSuite() { server_.reset(); }
  void SetUp() override {
    if (!server_) GTEST_SKIP() << "PostgreSQL 15 is not installed (scripts/install-deps.sh installs it)";
    url_ = test::fresh_database(*server_);
  }
  static std::unique_ptr<test::PostgresServer> server_;
  std::string url_;
};
std::unique_ptr<test::PostgresServer> PgRunnerTest::server_;

TEST_F(PgRunnerTest, BatchesThatDeadlockAcrossNodesAreRunAgainAndNoJobFails) {
  auto open = [url = url_] { return std::make_unique<PgDatabase>(url); };
  StorageRunner node_a(open, 1), node_b(open, 1);
  constexpr int kPerNode = 600;
  std::mutex mutex;
  std::map<std::int64_t, std::vector<std::int64_t>> seqs;  // user -> seqs handed out
  std::atomic<int> completed{0}, failed{0};

  auto submit = [&](StorageRunner& runner, std::int64_t from, std::int64_t to) {
    StorageJob job;
    job.work = [&, from, to](Database& db) -> std::function<void()> {
      auto r = db.insert_chat({UserId{from}, UserId{to}, "x", std::nullopt, 1});
      return [&, from, to, r] {
        std::lock_guard lock(mutex);
        seqs[from].push_back(raw(r.sender_seq));
        seqs[to].push_back(raw(r.recipient_seq));
        ++completed;
      };
    };
    job.fail = [&](std::exception_ptr) { ++failed; };
    runner.write(std::move(job));
  };
  // Node a writes the pairs (1,2), (3,4), (5,6) over and over, node b the
  // same pairs in the other order: a batch of each holds one pair's rows
  // and then wants the other's, which the other batch holds.
  const std::int64_t pairs[3][2] = {{1, 2}, {3, 4}, {5, 6}};
  std::thread a([&] {
    for (int i = 0; i < kPerNode; ++i) submit(node_a, pairs[i % 3][0], pairs[i % 3][1]);
  });
  std::thread b([&] {
    for (int i = 0; i < kPerNode; ++i) submit(node_b, pairs[2 - i % 3][1], pairs[2 - i % 3][0]);
  });
  a.join();
  b.join();
  node_a.stop();
  node_b.stop();

  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(completed.load(), 2 * kPerNode);
  for (auto& [user, handed] : seqs) {
    std::sort(handed.begin(), handed.end());
    for (std::size_t i = 0; i < handed.size(); ++i) {
      ASSERT_EQ(handed[i], static_cast<std::int64_t>(i + 1)) << "user " << user << ": a gap or a repeat";
    }
  }
}

}  // namespace
}  // namespace herald::store::pg
