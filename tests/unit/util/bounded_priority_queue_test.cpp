// BoundedPriorityQueue: high before low, FIFO within a priority, one shared
// bound with less room for low priority.
#include "util/bounded_priority_queue.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace herald::util {
namespace {

TEST(BoundedPriorityQueue, HighFirstThenFifo) {
  BoundedPriorityQueue<std::string> q({10, 10});
  ASSERT_TRUE(q.try_push(Priority::low, "register-1"));
  ASSERT_TRUE(q.try_push(Priority::low, "register-2"));
  ASSERT_TRUE(q.try_push(Priority::high, "login-1"));
  ASSERT_TRUE(q.try_push(Priority::high, "login-2"));
  EXPECT_EQ(q.size(), 4u);
  EXPECT_EQ(q.size(Priority::high), 2u);
  EXPECT_EQ(*q.try_pop(), "login-1");
  ASSERT_TRUE(q.try_push(Priority::high, "login-3"));  // jumps ahead of waiting registrations
  EXPECT_EQ(*q.try_pop(), "login-2");
  EXPECT_EQ(*q.try_pop(), "login-3");
  EXPECT_EQ(*q.try_pop(), "register-1");
  EXPECT_EQ(*q.try_pop(), "register-2");
  EXPECT_FALSE(q.try_pop().has_value());
  EXPECT_TRUE(q.empty());
}

TEST(BoundedPriorityQueue, LowPriorityGetsLessRoom) {
  BoundedPriorityQueue<int> q({4, 2});
  EXPECT_TRUE(q.try_push(Priority::low, 1));
  EXPECT_TRUE(q.try_push(Priority::low, 2));
  EXPECT_FALSE(q.try_push(Priority::low, 3));  // low stops at 2 items in all
  EXPECT_TRUE(q.try_push(Priority::high, 10));
  EXPECT_TRUE(q.try_push(Priority::high, 11));
  EXPECT_FALSE(q.try_push(Priority::high, 12));  // the whole queue is full
  EXPECT_EQ(q.size(), 4u);
  EXPECT_EQ(*q.try_pop(), 10);
  EXPECT_FALSE(q.try_push(Priority::low, 4));  // 3 queued: still no room for low
  EXPECT_TRUE(q.try_push(Priority::high, 12));
}

TEST(BoundedPriorityQueue, HighItemsAlsoCountAgainstLow) {
  BoundedPriorityQueue<int> q({4, 2});
  EXPECT_TRUE(q.try_push(Priority::high, 1));
  EXPECT_TRUE(q.try_push(Priority::high, 2));
  EXPECT_FALSE(q.try_push(Priority::low, 3));
  q.try_pop();
  EXPECT_TRUE(q.try_push(Priority::low, 3));
}

TEST(BoundedPriorityQueue, MoveOnlyItemsAndRefusedItemsAreDropped) {
  BoundedPriorityQueue<std::unique_ptr<int>> q({1, 1});
  EXPECT_TRUE(q.try_push(Priority::low, std::make_unique<int>(7)));
  auto extra = std::make_shared<int>(8);
  BoundedPriorityQueue<std::shared_ptr<int>> shared_q({1, 1});
  EXPECT_TRUE(shared_q.try_push(Priority::high, extra));
  EXPECT_FALSE(shared_q.try_push(Priority::high, extra));
  EXPECT_EQ(extra.use_count(), 2);  // the refused copy was not kept
  EXPECT_EQ(**q.try_pop(), 7);
}

}  // namespace
}  // namespace herald::util
