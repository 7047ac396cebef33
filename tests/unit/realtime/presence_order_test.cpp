#include "realtime/presence_order.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using herald::realtime::PresenceOrder;

TEST(PresenceOrder, InOrderEventsLeaveAtOnce) {
  PresenceOrder<std::string> order;
  std::vector<std::string> out;
  auto keep = [&out](std::string e) { out.push_back(std::move(e)); };
  order.accept(1, "a", keep);
  order.accept(2, "b", keep);
  EXPECT_EQ(out, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(order.waiting(), 0u);
  EXPECT_EQ(order.next(), 3u);
}

// A user's offline that overtakes their online (posted from another
// worker) must wait for it, or observers would end with the user online.
TEST(PresenceOrder, AnEarlyEventWaitsForTheOnesBeforeIt) {
  PresenceOrder<std::string> order;
  std::vector<std::string> out;
  auto keep = [&out](std::string e) { out.push_back(std::move(e)); };
  order.accept(3, "offline", keep);
  order.accept(2, "presence", keep);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(order.waiting(), 2u);
  order.accept(1, "online", keep);
  EXPECT_EQ(out, (std::vector<std::string>{"online", "presence", "offline"}));
  EXPECT_EQ(order.waiting(), 0u);
  order.accept(5, "e5", keep);
  EXPECT_EQ(out.size(), 3u);
  order.accept(4, "e4", keep);
  EXPECT_EQ(out.back(), "e5");
  EXPECT_EQ(order.next(), 6u);
}
