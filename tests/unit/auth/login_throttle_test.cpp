// Sliding-window login throttle: blocking, expiry, reset and bounded memory.
#include "auth/login_throttle.hpp"

#include <gtest/gtest.h>

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
  throttle.record_failure("b", kT0);
  EXPECT_EQ(throttle.size(), 2u);
  EXPECT_TRUE(throttle.allowed("a", kT0 + 60));
  EXPECT_EQ(throttle.size(), 1u);
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
}

}  // namespace
}  // namespace herald::auth
