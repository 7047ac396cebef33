// Micro-benchmark of the durable chat write, as the writer thread runs it:
// insert_chat inside a savepoint, committed in groups of 400 (the closed-
// loop chat run's typical batch), folds included as they fall due. The
// database lives in a fresh temp directory; items/s is messages per second
// of one thread, so 1e6 / that is the storage share of a message's CPU.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <filesystem>

#include "store/sqlite/sqlite_database.hpp"

namespace {

using namespace herald;

// The writer's chat path on one thread: insert_chat in savepoints, commits
// of `batch`, and the fold run inline after each commit that completes a
// fold's worth (in the server it runs on its own idle-priority thread), so
// the figure is the whole SQLite cost per chat.
void BM_StoreChatGroupCommit(benchmark::State& state) {
  const auto dir = std::filesystem::temp_directory_path() / ("herald-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    store::sqlite::SqliteDatabase db(dir / "herald.db");
    store::sqlite::SqliteDatabase folder(dir / "herald.db");
    for (int u = 1; u <= 400; ++u) db.ensure_user(UserId{u}, "user" + std::to_string(u), 1);
    const std::int64_t batch = state.range(0);
    std::int64_t n = 0;
    for (auto _ : state) {
      db.begin();
      for (std::int64_t i = 0; i < batch; ++i, ++n) {
        db.savepoint();
        store::ChatInsert chat{UserId{n % 200 * 2 + 1}, UserId{n % 200 * 2 + 2},
                               "Hello! How are you doing today?", "c" + std::to_string(n), n};
        benchmark::DoNotOptimize(db.insert_chat(chat));
        db.release_savepoint();
      }
      db.commit();
      while (folder.compact()) {
      }
    }
    state.SetItemsProcessed(state.iterations() * batch);
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_StoreChatGroupCommit)->Arg(1)->Arg(400)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

}  // namespace
