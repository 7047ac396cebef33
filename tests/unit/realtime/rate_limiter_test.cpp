#include "realtime/rate_limiter.hpp"

#include <gtest/gtest.h>

using herald::realtime::RateLimiter;
using namespace std::chrono_literals;

TEST(RateLimiter, AllowsTheBurstThenDrops) {
  RateLimiter limiter(20, 40, 10);
  auto t = RateLimiter::Clock::now();
  for (int i = 0; i < 40; ++i) EXPECT_EQ(limiter.take(t), RateLimiter::Verdict::allow) << i;
  EXPECT_EQ(limiter.take(t), RateLimiter::Verdict::drop);
}

TEST(RateLimiter, RefillsAtTheRate) {
  RateLimiter limiter(20, 40, 10);
  auto t = RateLimiter::Clock::now();
  for (int i = 0; i < 40; ++i) limiter.take(t);
  EXPECT_EQ(limiter.take(t), RateLimiter::Verdict::drop);
  // 100 ms at 20/s gives back 2 tokens.
  EXPECT_EQ(limiter.take(t + 100ms), RateLimiter::Verdict::allow);
  EXPECT_EQ(limiter.take(t + 100ms), RateLimiter::Verdict::allow);
  EXPECT_EQ(limiter.take(t + 100ms), RateLimiter::Verdict::drop);
}

TEST(RateLimiter, TenthDropWithinAMinuteCloses) {
  RateLimiter limiter(1, 1, 10);
  auto t = RateLimiter::Clock::now();
  limiter.take(t);
  for (int i = 1; i < 10; ++i) EXPECT_EQ(limiter.take(t), RateLimiter::Verdict::drop) << i;
  EXPECT_EQ(limiter.take(t), RateLimiter::Verdict::drop_and_close);
}

TEST(RateLimiter, DropCountResetsAfterAMinute) {
  RateLimiter limiter(0.0001, 1, 3);
  auto t = RateLimiter::Clock::now();
  limiter.take(t);
  EXPECT_EQ(limiter.take(t), RateLimiter::Verdict::drop);
  EXPECT_EQ(limiter.take(t), RateLimiter::Verdict::drop);
  EXPECT_EQ(limiter.take(t + 61s), RateLimiter::Verdict::drop);
  EXPECT_EQ(limiter.take(t + 61s), RateLimiter::Verdict::drop);
}
