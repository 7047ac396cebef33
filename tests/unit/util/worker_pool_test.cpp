// WorkerPool: closures posted from other threads (the storage thread's
// acks, another worker's deliveries) run on the target worker, in the order
// each thread posted them, also when many arrive in one burst. And the
// thread-priority helper the fold thread uses.
#include "util/worker_pool.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

using herald::util::HeldWakes;
using herald::util::WorkerPool;

TEST(WorkerPool, ForeignPostsRunOnTheWorkerInOrder) {
  WorkerPool pool(2);
  pool.start();
  constexpr int kPerThread = 20000;
  std::mutex mutex;
  std::vector<int> seen_a, seen_b;
  std::atomic<int> wrong_thread{0};
  std::promise<void> done;
  std::atomic<int> remaining{2 * kPerThread};
  auto producer = [&](std::vector<int>& seen, int base) {
    for (int i = 0; i < kPerThread; ++i) {
      pool.post(1, [&, i, base] {
        if (WorkerPool::current_worker() != 1) ++wrong_thread;
        {
          std::lock_guard lock(mutex);
          seen.push_back(base + i);
        }
        if (--remaining == 0) done.set_value();
      });
    }
  };
  std::thread a(producer, std::ref(seen_a), 0);
  std::thread b(producer, std::ref(seen_b), 1000000);
  a.join();
  b.join();
  ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(wrong_thread.load(), 0);
  ASSERT_EQ(seen_a.size(), static_cast<std::size_t>(kPerThread));
  ASSERT_EQ(seen_b.size(), static_cast<std::size_t>(kPerThread));
  for (int i = 0; i < kPerThread; ++i) {
    EXPECT_EQ(seen_a[i], i);
    EXPECT_EQ(seen_b[i], 1000000 + i);
  }
}

TEST(WorkerPool, PostFromTheWorkerItselfRunsLaterNotInline) {
  WorkerPool pool(1);
  pool.start();
  std::promise<std::vector<int>> result;
  pool.post(0, [&] {
    auto order = std::make_shared<std::vector<int>>();
    pool.post(0, [&, order] {
      order->push_back(2);
      result.set_value(*order);
    });
    order->push_back(1);
  });
  auto f = result.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(f.get(), (std::vector<int>{1, 2}));
}

// HeldWakes (the storage writer's completions): posts made under it wait
// until it ends, then run in order, each held worker woken once.
TEST(WorkerPool, HeldWakesRunNothingUntilTheScopeEnds) {
  WorkerPool pool(2);
  pool.start();
  std::mutex mutex;
  std::vector<int> seen;
  std::promise<void> all_ran;
  std::atomic<int> remaining{6};
  auto record = [&](int v) {
    return [&, v] {
      {
        std::lock_guard lock(mutex);
        seen.push_back(v);
      }
      if (--remaining == 0) all_ran.set_value();
    };
  };
  {
    HeldWakes held;
    for (int i = 0; i < 3; ++i) pool.post(0, record(i));
    for (int i = 10; i < 13; ++i) pool.post(1, record(i));
    // Neither worker was woken: nothing ran, however long we wait here.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::lock_guard lock(mutex);
    EXPECT_TRUE(seen.empty());
  }
  ASSERT_EQ(all_ran.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  std::vector<int> on0, on1;
  for (int v : seen) (v < 10 ? on0 : on1).push_back(v);
  EXPECT_EQ(on0, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(on1, (std::vector<int>{10, 11, 12}));
  EXPECT_EQ(HeldWakes::current(), nullptr);
}

// The background threads' priority (the fold, checkpoints): SCHED_BATCH at
// nice 5, which any thread may choose for itself (it needs no privilege),
// and which other threads keep.
TEST(ThreadPriority, BackgroundMovesOnlyTheCallingThread) {
  int policy_inside = -1;
  int nice_inside = -100;
  bool lowered = false;
  std::thread t([&] {
    lowered = herald::util::run_this_thread_in_background();
    policy_inside = ::sched_getscheduler(0);
    nice_inside = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
  });
  t.join();
  EXPECT_TRUE(lowered);
  EXPECT_EQ(policy_inside, SCHED_BATCH);
  EXPECT_EQ(nice_inside, 5);
  EXPECT_EQ(::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid())), 0);
  EXPECT_NE(::sched_getscheduler(0), SCHED_BATCH);
}
