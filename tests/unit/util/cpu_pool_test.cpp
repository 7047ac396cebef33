// CpuPool: runs jobs on its threads, refuses them when its queue is full,
// runs queued high-priority jobs before low ones, finishes what is queued on
// join and refuses new jobs after.
#include "util/cpu_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace herald::util {
namespace {

// Holds the pool's single thread inside a job until released.
class Gate {
 public:
  void enter() {
    std::unique_lock lock(mutex_);
    entered_ = true;
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
  }
  void wait_entered() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return entered_; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool entered_ = false;
  bool open_ = false;
};

TEST(CpuPool, QueuedHighPriorityRunsBeforeLowAndFullQueueRefuses) {
  CpuPool pool(1, 4);  // low priority may hold 2
  Gate gate;
  ASSERT_TRUE(pool.try_post(Priority::low, [&] { gate.enter(); }));
  gate.wait_entered();  // the only thread is busy: what follows waits in the queue

  std::mutex order_mutex;
  std::vector<std::string> order;
  auto record = [&](std::string name) {
    return [&, name] {
      std::lock_guard lock(order_mutex);
      order.push_back(name);
    };
  };
  EXPECT_TRUE(pool.try_post(Priority::low, record("register-1")));
  EXPECT_TRUE(pool.try_post(Priority::low, record("register-2")));
  EXPECT_FALSE(pool.try_post(Priority::low, record("register-3")));  // low's half is full
  EXPECT_TRUE(pool.try_post(Priority::high, record("login-1")));
  EXPECT_TRUE(pool.try_post(Priority::high, record("login-2")));
  EXPECT_FALSE(pool.try_post(Priority::high, record("login-3")));  // the queue is full
  EXPECT_EQ(pool.queued(), 4u);

  gate.open();
  pool.join();
  EXPECT_EQ(order, (std::vector<std::string>{"login-1", "login-2", "register-1", "register-2"}));
  EXPECT_EQ(pool.queued(), 0u);
}

TEST(CpuPool, JobsRunOnEveryThreadAndJoinFinishesThem) {
  std::atomic<int> done{0};
  {
    CpuPool pool(2, 1000);
    for (int i = 0; i < 500; ++i) {
      ASSERT_TRUE(pool.try_post(i % 2 ? Priority::high : Priority::low, [&] { done.fetch_add(1); }))
          << i;
    }
  }  // the destructor joins after the queue drains
  EXPECT_EQ(done.load(), 500);
}

TEST(CpuPool, ThrowingJobDoesNotStopTheThread) {
  CpuPool pool(1, 8);
  std::atomic<int> done{0};
  ASSERT_TRUE(pool.try_post(Priority::high, [] { throw std::runtime_error("boom"); }));
  ASSERT_TRUE(pool.try_post(Priority::high, [&] { done.fetch_add(1); }));
  pool.join();
  EXPECT_EQ(done.load(), 1);
}

TEST(CpuPool, RefusesAfterJoinAndRefusesNonsense) {
  CpuPool pool(1, 2);
  pool.join();
  EXPECT_FALSE(pool.try_post(Priority::high, [] {}));
  pool.join();  // idempotent
  EXPECT_THROW(CpuPool(0, 2), std::invalid_argument);
  EXPECT_THROW(CpuPool(1, 0), std::invalid_argument);
}

}  // namespace
}  // namespace herald::util
