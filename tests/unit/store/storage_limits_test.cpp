// The storage runner's bounded write queue and the durability setting
// (issue 10): a stalled writer must not let memory grow without bound, and
// a refused job must fail as a storage failure, never be acknowledged.
#include <gtest/gtest.h>

#include <filesystem>
#include <future>

#include "store/sqlite/sqlite_database.hpp"
#include "temp_db.hpp"
#include "store/storage_runner.hpp"

using namespace herald;
using store::sqlite::Durability;
using store::sqlite::SqliteDatabase;

namespace {
std::filesystem::path temp_db() { return test::temp_db("limits"); }
}  // namespace

TEST(StorageLimits, AFullWriteQueueRefusesAtOnceAndLosesNothingAccepted) {
  auto file = temp_db();
  store::StorageRunner runner([file] { return std::make_unique<SqliteDatabase>(file); }, 1, 2);
  // The writer is held inside the first job, as by a stalled disk.
  std::promise<void> entered, release;
  auto released = release.get_future().share();
  std::promise<void> first_done, second_done, third_done;
  store::StorageJob stall;
  stall.work = [&, released](store::Database& db) -> std::function<void()> {
    entered.set_value();
    released.wait();
    db.ensure_user(UserId{1}, "one", 1);
    return [&] { first_done.set_value(); };
  };
  runner.write(std::move(stall));
  entered.get_future().wait();

  auto job_for = [](std::int64_t id, std::promise<void>& done, bool& refused) {
    store::StorageJob job;
    job.work = [id, &done](store::Database& db) -> std::function<void()> {
      db.ensure_user(UserId{id}, "u" + std::to_string(id), 1);
      return [&done] { done.set_value(); };
    };
    job.fail = [&refused, &done](std::exception_ptr e) {
      try {
        std::rethrow_exception(e);
      } catch (const store::StorageError&) {
        refused = true;
      }
      done.set_value();
    };
    return job;
  };
  bool refused2 = false, refused3 = false, refused4 = false;
  std::promise<void> fourth_done;
  runner.write(job_for(2, second_done, refused2));
  runner.write(job_for(3, third_done, refused3));
  runner.write(job_for(4, fourth_done, refused4));  // the queue holds 2: refused now
  fourth_done.get_future().wait();
  EXPECT_TRUE(refused4);
  EXPECT_EQ(runner.refused_writes(), 1u);

  release.set_value();
  first_done.get_future().wait();
  second_done.get_future().wait();
  third_done.get_future().wait();
  EXPECT_FALSE(refused2);
  EXPECT_FALSE(refused3);
  runner.stop();
  SqliteDatabase db(file);
  for (int id : {1, 2, 3}) EXPECT_TRUE(db.get_user(UserId{id})) << id;
  EXPECT_FALSE(db.get_user(UserId{4}));
}

TEST(StorageLimits, DurabilityFullIsWhatSqliteRuns) {
  auto file = temp_db();
  EXPECT_EQ(SqliteDatabase(file).durability(), Durability::normal);
  EXPECT_EQ(SqliteDatabase(file, Durability::full).durability(), Durability::full);
}
