// Micro-benchmark of chat history's reads (PROTOCOL.md 6.5), the storage
// share of a /messages or /conversations request's server time, against a
// database of HERALD_BENCH_HISTORY_CHATS chats (default 1,000,000; the
// issue's target is 10,000,000: docs/BENCHMARKS.md, "History"). The
// database is built once through the writer's path (insert_chat in commits
// of 4,000, folds as they fall due, the last part left in the log) in
// $TMPDIR/herald-history-bench-<chats> and reused by later runs.
//
// Its shape: 20,000 random users chatting at random; user 1 has 1,000
// partners (three chats each, spread over the whole history); users 2 and
// 3 a busy conversation (every 100th chat), users 4 and 5 a sparse one
// (every 20,000th: a page of 50 spans 50 folds' runs). Each benchmark
// reports the mean and, as counters, p50 and p99 in microseconds.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_database.hpp"

namespace {

using namespace herald;
using store::sqlite::SqliteDatabase;

constexpr MessageId kNewest{std::numeric_limits<std::int64_t>::max()};

std::int64_t chats_wanted() {
  const char* env = std::getenv("HERALD_BENCH_HISTORY_CHATS");
  return env ? std::max<std::int64_t>(100'000, std::atoll(env)) : 1'000'000;
}

// (from, to) of the n-th chat.
std::pair<std::int64_t, std::int64_t> nth_chat(std::int64_t n, std::int64_t total,
                                               std::mt19937_64& rng) {
  const std::int64_t spread = std::max<std::int64_t>(1, total / 3000);
  if (n % spread == 0) {
    std::int64_t partner = 1000 + (n / spread) % 1000;
    return (n / spread) % 2 ? std::pair{partner, std::int64_t{1}}
                            : std::pair{std::int64_t{1}, partner};
  }
  if (n % 100 == 1) return n % 200 == 1 ? std::pair{2, 3} : std::pair{3, 2};
  if (n % 20000 == 7) return {4, 5};
  std::uniform_int_distribution<std::int64_t> user(10'000, 30'000);
  std::int64_t from = user(rng), to = user(rng);
  if (to == from) ++to;
  return {from, to};
}

const std::filesystem::path& history_db() {
  static const std::filesystem::path file = [] {
    const std::int64_t total = chats_wanted();
    auto dir =
        std::filesystem::temp_directory_path() / ("herald-history-bench-" + std::to_string(total));
    auto done = dir / "complete";
    if (std::filesystem::exists(done)) return dir / "herald.db";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    {
      SqliteDatabase writer(dir / "herald.db");
      SqliteDatabase folder(dir / "herald.db");
      std::mt19937_64 rng(42);
      constexpr std::int64_t kBatch = 4000;
      for (std::int64_t n = 0; n < total;) {
        writer.begin();
        for (std::int64_t i = 0; i < kBatch && n < total; ++i, ++n) {
          auto [from, to] = nth_chat(n, total, rng);
          writer.insert_chat({UserId{from}, UserId{to}, "Hello! How are you doing today?",
                              std::nullopt, 1'700'000'000'000 + n});
        }
        writer.commit();
        writer.after_batch();  // the writer's WAL restart, as in the server
        bool folded = false;
        while (folder.compact()) folded = true;
        if (folded) folder.maintain();  // the maintenance thread's checkpoints
      }
      writer.begin();
      writer.set_last_seen(UserId{1}, 1);  // releases what the last fold archived
      writer.commit();
      writer.maintain();
    }
    std::ofstream(done) << total << "\n";
    return dir / "herald.db";
  }();
  return file;
}

// Runs `read` once per iteration and reports p50 / p99 (us) as counters.
template <class Read>
void timed(benchmark::State& state, Read read) {
  SqliteDatabase reader(history_db());
  read(reader);  // the reader's first read copies the log (once per connection)
  std::vector<double> us;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(read(reader));
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(us.begin(), us.end());
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  state.counters["chats"] = static_cast<double>(chats_wanted());
}

// A page of 50 of the busy conversation: the newest, and one deep in it.
void BM_HistoryPageBusy(benchmark::State& state) {
  const std::int64_t total = chats_wanted();
  std::mt19937_64 rng(7);
  timed(state, [&](SqliteDatabase& db) {
    MessageId before = state.range(0)
                           ? MessageId{std::uniform_int_distribution<std::int64_t>(1, total)(rng)}
                           : kNewest;
    return db.read_conversation(UserId{2}, UserId{3}, before, 50).messages.size();
  });
}
BENCHMARK(BM_HistoryPageBusy)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// A page of 50 of the sparse conversation: 50 runs, one per fold.
void BM_HistoryPageSparse(benchmark::State& state) {
  timed(state, [](SqliteDatabase& db) {
    return db.read_conversation(UserId{5}, UserId{4}, kNewest, 50).messages.size();
  });
}
BENCHMARK(BM_HistoryPageSparse)->Unit(benchmark::kMicrosecond);

// User 1's conversation list (1,000 partners): the first page of `limit`
// rows, and one from the middle.
void BM_HistoryConversations(benchmark::State& state) {
  const std::int64_t total = chats_wanted();
  const std::size_t limit = static_cast<std::size_t>(state.range(0));
  const bool middle = state.range(1) != 0;
  timed(state, [&](SqliteDatabase& db) {
    return db.list_conversations(UserId{1}, middle ? MessageId{total / 2} : kNewest, limit)
        .conversations.size();
  });
}
BENCHMARK(BM_HistoryConversations)
    ->Args({20, 0})
    ->Args({100, 0})
    ->Args({20, 1})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
