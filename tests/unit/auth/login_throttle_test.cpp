// Sliding-window attempt throttle: blocking, counting at the start of an
// attempt, expiry by lookup and by sweep, reset, and bounded memory (keys
// and bytes).
#include "auth/login_throttle.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace herald::auth {
namespace {

constexpr std::int64_t kT0 = 1'760'000'000;

TEST(LoginThrottle, BlocksAfterMaxFailures) {
  LoginThrottle throttle(3, 60);
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(throttle.allowed("user:alice", kT0 + i));
    throttle.record_failure("user:alice", kT0 + i);
  }
  EXPECT_TRUE(throttle.allowed("user:alice", kT0 + 2));
  EXPECT_EQ(throttle.retry_after("user:alice", kT0 + 2), 0);
  throttle.record_failure("user:alice", kT0 + 2);
  EXPECT_FALSE(throttle.allowed("user:alice", kT0 + 2));
  // Other keys are unaffected.
  EXPECT_TRUE(throttle.allowed("user:bob", kT0 + 2));
  EXPECT_TRUE(throttle.allowed("ip:10.0.0.1", kT0 + 2));
}

TEST(LoginThrottle, UnblocksWhenOldestFailureLeavesWindow) {
  LoginThrottle throttle(3, 60);
  throttle.record_failure("k", kT0);
  throttle.record_failure("k", kT0 + 10);
  throttle.record_failure("k", kT0 + 20);
  EXPECT_FALSE(throttle.allowed("k", kT0 + 30));
  EXPECT_EQ(throttle.retry_after("k", kT0 + 30), 30);  // kT0 + 60 - (kT0 + 30)
  EXPECT_FALSE(throttle.allowed("k", kT0 + 59));
  EXPECT_EQ(throttle.retry_after("k", kT0 + 59), 1);
  EXPECT_TRUE(throttle.allowed("k", kT0 + 60));
  EXPECT_EQ(throttle.retry_after("k", kT0 + 60), 0);
  // Two failures still count: one more blocks again until kT0 + 70.
  throttle.record_failure("k", kT0 + 61);
  EXPECT_FALSE(throttle.allowed("k", kT0 + 61));
  EXPECT_EQ(throttle.retry_after("k", kT0 + 61), 9);
}

TEST(LoginThrottle, SpreadOutFailuresNeverBlock) {
  LoginThrottle throttle(3, 60);
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(throttle.allowed("k", kT0 + i * 30));
    throttle.record_failure("k", kT0 + i * 30);
  }
}

TEST(LoginThrottle, SuccessClearsTheKey) {
  LoginThrottle throttle(2, 300);
  throttle.record_failure("user:alice", kT0);
  throttle.record_success("user:alice");
  throttle.record_failure("user:alice", kT0 + 1);
  EXPECT_TRUE(throttle.allowed("user:alice", kT0 + 1));
  throttle.record_failure("user:alice", kT0 + 2);
  EXPECT_FALSE(throttle.allowed("user:alice", kT0 + 2));
  throttle.record_success("user:alice");
  EXPECT_TRUE(throttle.allowed("user:alice", kT0 + 2));
  EXPECT_EQ(throttle.size(), 0u);
}

TEST(LoginThrottle, ExpiredKeysAreForgotten) {
  LoginThrottle throttle(5, 60);
  throttle.record_failure("a", kT0);
  throttle.record_failure("b", kT0 + 30);
  EXPECT_EQ(throttle.size(), 2u);
  // Looking "a" up after its window drops it; "b" is still in its own.
  EXPECT_TRUE(throttle.allowed("a", kT0 + 60));
  EXPECT_EQ(throttle.size(), 1u);
  // "b" leaves by the sweep, though nobody asks about it again.
  EXPECT_TRUE(throttle.allowed("c", kT0 + 90));
  EXPECT_EQ(throttle.size(), 0u);
  EXPECT_EQ(throttle.memory_bytes(), 0u);
}

TEST(LoginThrottle, MemoryIsBoundedUnderAKeySpray) {
  LoginThrottle throttle(3, 300, 1000);
  // The victim fails twice early on; then a spray of fresh keys fills the map.
  throttle.record_failure("victim", kT0);
  for (int i = 0; i < 50'000; ++i) {
    throttle.record_failure("spray:" + std::to_string(i), kT0 + 1 + i / 1000);
    ASSERT_LE(throttle.size(), 1000u);
  }
  // Stale keys go first when room is needed.
  LoginThrottle small(3, 10, 4);
  for (int i = 0; i < 4; ++i) small.record_failure("old" + std::to_string(i), kT0);
  small.record_failure("blocked", kT0 + 9);
  small.record_failure("blocked", kT0 + 9);
  small.record_failure("blocked", kT0 + 9);
  small.record_failure("new", kT0 + 11);  // the "old" keys left the window at kT0 + 10
  EXPECT_FALSE(small.allowed("blocked", kT0 + 11));
  EXPECT_LE(small.size(), 4u);
}

TEST(LoginThrottle, ConcurrentFailuresAreAllCounted) {
  LoginThrottle throttle(400, 60);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) throttle.record_failure("shared", kT0);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(throttle.allowed("shared", kT0));  // exactly 400 counted
}

TEST(LoginThrottle, NonsenseConfigurationIsRefused) {
  EXPECT_THROW(LoginThrottle(0, 60), std::invalid_argument);
  EXPECT_THROW(LoginThrottle(5, 0), std::invalid_argument);
  EXPECT_THROW(LoginThrottle(5, 60, 0), std::invalid_argument);
  EXPECT_THROW(LoginThrottle(5, 60, 10, 100), std::invalid_argument);  // not one key's worth
}

TEST(LoginThrottle, BeginAttemptCountsBeforeTheOutcome) {
  LoginThrottle throttle(3, 60);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(throttle.begin_attempt("u:alice", kT0), 0);
  // The fourth is refused although no outcome was ever recorded, and a
  // refused attempt counts nothing: the wait does not grow.
  EXPECT_EQ(throttle.begin_attempt("u:alice", kT0 + 10), 50);
  EXPECT_EQ(throttle.begin_attempt("u:alice", kT0 + 10), 50);
  EXPECT_EQ(throttle.begin_attempt("u:alice", kT0 + 60), 0);
}

TEST(LoginThrottle, BeginAttemptIsAllOrNothingAcrossKeys) {
  LoginThrottle throttle(2, 60);
  const std::string_view both[] = {"u:alice", "a:10.0.0.1"};
  EXPECT_EQ(throttle.begin_attempt("a:10.0.0.1", kT0), 0);
  EXPECT_EQ(throttle.begin_attempt("a:10.0.0.1", kT0 + 5), 0);
  // The address is blocked: nothing is counted for the username either.
  EXPECT_EQ(throttle.begin_attempt(both, kT0 + 10), 50);
  EXPECT_EQ(throttle.retry_after("u:alice", kT0 + 10), 0);
  EXPECT_EQ(throttle.size(), 1u);
  // Once the address frees up, one attempt counts on both.
  EXPECT_EQ(throttle.begin_attempt(both, kT0 + 60), 0);
  EXPECT_EQ(throttle.begin_attempt("u:alice", kT0 + 61), 0);
  EXPECT_GT(throttle.begin_attempt("u:alice", kT0 + 62), 0);
}

TEST(LoginThrottle, CancelGivesBackOneAttempt) {
  LoginThrottle throttle(2, 60);
  EXPECT_EQ(throttle.begin_attempt("a:x", kT0), 0);
  EXPECT_EQ(throttle.begin_attempt("a:x", kT0 + 1), 0);
  EXPECT_FALSE(throttle.allowed("a:x", kT0 + 1));
  throttle.cancel_attempt("a:x", kT0 + 1);
  EXPECT_TRUE(throttle.allowed("a:x", kT0 + 1));
  throttle.cancel_attempt("a:x", kT0 + 1);  // no longer counted: nothing happens
  EXPECT_EQ(throttle.size(), 1u);
  throttle.cancel_attempt("a:x", kT0);
  EXPECT_EQ(throttle.size(), 0u);
  EXPECT_EQ(throttle.memory_bytes(), 0u);
  throttle.cancel_attempt("never-seen", kT0);
}

// Thirty threads start an attempt on one key at once: exactly max pass.
TEST(LoginThrottle, ParallelAttemptsAdmitExactlyTheLimit) {
  LoginThrottle throttle(5, 300);
  std::atomic<int> admitted{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 30; ++t) {
    threads.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      const std::string_view keys[] = {"u:victim", "a:127.0.0.1"};
      if (throttle.begin_attempt(keys, kT0) == 0) admitted.fetch_add(1);
    });
  }
  go.store(true);
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 5);
}

// Keys nobody asks about again still leave: the sweep runs on the calls for
// other keys, at most every window/4, so the table empties within 1.25 windows.
TEST(LoginThrottle, ExpiredKeysAreSweptWithoutLookup) {
  LoginThrottle throttle(5, 100);
  for (int i = 0; i < 1000; ++i) throttle.record_failure("spray:" + std::to_string(i), kT0);
  EXPECT_EQ(throttle.size(), 1000u);
  throttle.begin_attempt("other", kT0 + 99);  // all still in the window
  EXPECT_EQ(throttle.size(), 1001u);
  throttle.begin_attempt("other", kT0 + 100 + 25);
  EXPECT_EQ(throttle.size(), 1u);  // only "other" is left
  EXPECT_LT(throttle.memory_bytes(), 1024u);
}

TEST(LoginThrottle, MemoryIsBoundedInBytes) {
  constexpr std::size_t kMaxBytes = 64 * 1024;
  LoginThrottle throttle(5, 300, 1'000'000, kMaxBytes);
  std::size_t most_keys = 0;
  for (int i = 0; i < 20'000; ++i) {
    throttle.record_failure(std::string(100, 'k') + std::to_string(i), kT0 + i / 100);
    ASSERT_LE(throttle.memory_bytes(), kMaxBytes);
    most_keys = std::max(most_keys, throttle.size());
  }
  // The byte cap, not the key cap, bounded it: a few hundred 100-byte keys.
  EXPECT_GT(most_keys, 100u);
  EXPECT_LT(most_keys, 1000u);
  // The newest key survives evictions: its attempts keep adding up.
  const std::string newest = std::string(100, 'k') + "19999";
  for (int i = 0; i < 4; ++i) throttle.record_failure(newest, kT0 + 199);
  EXPECT_FALSE(throttle.allowed(newest, kT0 + 199));
}

// A long key (a 500 KB username that reached the throttle) costs a digest's
// bytes, not its own, and still throttles itself.
TEST(LoginThrottle, LongKeysAreKeptAsDigests) {
  LoginThrottle throttle(2, 60);
  const std::string huge(500'000, 'a');
  throttle.record_failure("u:" + huge, kT0);
  EXPECT_LT(throttle.memory_bytes(), 1024u);
  EXPECT_TRUE(throttle.allowed("u:" + huge, kT0));
  throttle.record_failure("u:" + huge, kT0);
  EXPECT_FALSE(throttle.allowed("u:" + huge, kT0));
  EXPECT_TRUE(throttle.allowed("u:" + huge + "b", kT0));  // another key, another digest
  throttle.record_success("u:" + huge);
  EXPECT_EQ(throttle.size(), 0u);
}

}  // namespace
}  // namespace herald::auth
