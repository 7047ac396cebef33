#include "realtime/typing_flow.hpp"

#include <gtest/gtest.h>

#include "flow_fakes.hpp"
#include "realtime/user_directory.hpp"

using namespace herald;
using namespace herald::realtime;
using namespace herald::realtime::test;

namespace {
struct TypingFlowTest : ::testing::Test {
  TypingFlowTest() {
    directory.put(UserId{1}, "alice", Seq{0}, std::nullopt);
    directory.put(UserId{2}, "bob", Seq{0}, std::nullopt);
  }
  UserDirectory directory;
  FakeTables tables;
  RecordingBroker broker;
  QueuedPosts posts;
  NoEvents events;
  TypingFlow flow{2, directory, tables, broker};
  TestConnection alice{events, posts, 1, 11};
};
}  // namespace

TEST_F(TypingFlowTest, DirectTypingGoesToTheUserNeverBackToTheSender) {
  flow.typing(*alice.connection, {true, "dm", UserId{2}});
  ASSERT_EQ(broker.published.size(), 1u);
  const auto& p = broker.published[0];
  EXPECT_EQ(p.target.kind, cluster::Target::Kind::user);
  EXPECT_EQ(p.target.user, UserId{2});
  EXPECT_EQ(p.target.exclude_user, UserId{1});
  EXPECT_EQ(p.frame.at("data").at("user_id"), 1);
  EXPECT_EQ(p.frame.at("data").at("is_typing"), true);
  EXPECT_EQ(p.frame.at("data").at("context"), "dm");
}

TEST_F(TypingFlowTest, TypingToAnUnknownUserOrToOneselfIsRefused) {
  flow.typing(*alice.connection, {true, "dm", UserId{99}});
  flow.typing(*alice.connection, {true, "dm", UserId{1}});
  auto errors = alice.session->of_type("error");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].at("error_code"), "USER_NOT_FOUND");
  EXPECT_EQ(errors[1].at("error_code"), "INVALID_MESSAGE");
  EXPECT_TRUE(broker.published.empty());
}

TEST_F(TypingFlowTest, ClosingSwitchesOffEveryIndicatorStillOn) {
  flow.typing(*alice.connection, {true, "post_1", std::nullopt});
  flow.typing(*alice.connection, {true, "dm", UserId{2}});
  flow.typing(*alice.connection, {true, "post_2", std::nullopt});
  flow.typing(*alice.connection, {false, "post_2", std::nullopt});
  broker.published.clear();
  flow.stop_typing(*alice.connection);
  ASSERT_EQ(broker.published.size(), 2u);
  EXPECT_EQ(broker.published[0].target.kind, cluster::Target::Kind::context);
  EXPECT_EQ(broker.published[0].target.context, "post_1");
  EXPECT_EQ(broker.published[0].frame.at("data").at("is_typing"), false);
  EXPECT_EQ(broker.published[1].target.user, UserId{2});
  EXPECT_EQ(broker.published[1].frame.at("data").at("is_typing"), false);
  EXPECT_TRUE(alice.connection->typing.empty());
}

TEST_F(TypingFlowTest, SubscriptionsAreConfirmedAndCapped) {
  flow.subscribe(*alice.connection, {"a"});
  flow.subscribe(*alice.connection, {"a"});  // again: confirmed, not counted twice
  flow.subscribe(*alice.connection, {"b"});
  flow.subscribe(*alice.connection, {"c"});  // over the cap of 2
  EXPECT_EQ(tables.subscribed, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(alice.session->of_type("subscribed").size(), 3u);
  auto errors = alice.session->of_type("error");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].at("error_code"), "INVALID_MESSAGE");
  flow.unsubscribe(*alice.connection, {"a"});
  EXPECT_EQ(tables.unsubscribed, (std::vector<std::string>{"a"}));
  EXPECT_EQ(alice.session->of_type("unsubscribed").size(), 1u);
  EXPECT_EQ(alice.connection->subscriptions, (std::vector<std::string>{"b"}));
}
