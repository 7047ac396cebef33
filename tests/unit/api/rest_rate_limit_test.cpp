#include "api/rest_rate_limit.hpp"

#include <gtest/gtest.h>

using herald::UserId;
using herald::api::RestRateLimit;

TEST(RestRateLimit, EachUserHasTheirOwnBudget) {
  RestRateLimit limit({1, 3});
  auto t = RestRateLimit::Clock::now();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limit.allow(UserId{1}, t));
  EXPECT_FALSE(limit.allow(UserId{1}, t));
  EXPECT_TRUE(limit.allow(UserId{2}, t));  // another user is not affected
  EXPECT_TRUE(limit.allow(UserId{1}, t + std::chrono::milliseconds(1100)));  // refilled one
  EXPECT_FALSE(limit.allow(UserId{1}, t + std::chrono::milliseconds(1100)));
}

TEST(RestRateLimit, IdleUsersAreForgotten) {
  RestRateLimit limit({10, 20});
  auto t = RestRateLimit::Clock::now();
  for (int u = 1; u <= 100; ++u) limit.allow(UserId{u}, t);
  EXPECT_EQ(limit.tracked(), 100u);
  // Enough later calls to trigger every shard's periodic sweep.
  auto later = t + std::chrono::minutes(2);
  for (int i = 0; i < 4096 * 16; ++i) limit.allow(UserId{1000 + (i % 16)}, later);
  EXPECT_EQ(limit.tracked(), 16u);
}
