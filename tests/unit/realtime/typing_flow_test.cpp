#include "realtime/typing_flow.hpp"

#include <gtest/gtest.h>

#include "flow_fakes.hpp"
#include "realtime/presence_access.hpp"
#include "realtime/presence_registry.hpp"
#include "realtime/user_directory.hpp"

using namespace herald;
using namespace herald::realtime;
using namespace herald::realtime::test;

namespace {
struct TypingFlowTest : ::testing::Test {
  TypingFlowTest() {
    directory.put(UserId{1}, "alice", Seq{0}, std::nullopt, 0);
    directory.put(UserId{2}, "bob", Seq{0}, std::nullopt, 0);
    registry.attach(UserId{1}, 0, 10);
  }
  UserDirectory directory;
  PresenceRegistry registry{BroadcastLimits{{1, 5}, {1, 4}}};
  FakeTables tables;
  RecordingBroker broker;
  QueuedPosts posts;
  NoEvents events;
  TypingFlow flow{2, directory, registry, tables, broker};
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

TEST_F(TypingFlowTest, ARepeatedTypingTrueIsCoalesced) {
  flow.typing(*alice.connection, {true, "post_1", std::nullopt});
  flow.typing(*alice.connection, {true, "post_1", std::nullopt});
  flow.typing(*alice.connection, {true, "post_1", std::nullopt});
  ASSERT_EQ(broker.published.size(), 1u);  // said once; the repeats add nothing
  flow.typing(*alice.connection, {false, "post_1", std::nullopt});
  ASSERT_EQ(broker.published.size(), 2u);
  EXPECT_EQ(broker.published[1].frame.at("data").at("is_typing"), false);
  EXPECT_TRUE(alice.session->of_type("error").empty());
}

// Typing to a context reaches every subscriber: one user's tabs together
// get one budget (here burst 4), not one each.
TEST_F(TypingFlowTest, AUsersTabsShareOneTypingBudget) {
  TestConnection tab2{events, posts, 1, 12};
  registry.attach(UserId{1}, 0, 10);
  for (int i = 0; i < 3; ++i) {
    flow.typing(*alice.connection, {true, "ctx" + std::to_string(i), std::nullopt});
    flow.typing(*tab2.connection, {true, "other" + std::to_string(i), std::nullopt});
  }
  EXPECT_EQ(broker.published.size(), 4u);
  auto limited = alice.session->of_type("error").size() + tab2.session->of_type("error").size();
  EXPECT_EQ(limited, 2u);
  EXPECT_EQ(tab2.session->of_type("error").back().at("error_code"), "RATE_LIMITED");
}

// PROTOCOL.md 4: `presence:<id>` is reserved. With audience `followers`
// only that user's followers (and the user) may subscribe; the graph is
// asked at the subscribe, so a new follow opens it at once.
TEST_F(TypingFlowTest, PresenceSubscriptionsNeedTheRightToSeeThatPresence) {
  FollowGraph follows;
  PresenceAccess followers_only(PresenceAudience::followers, follows);
  TypingFlow guarded{10, directory, registry, tables, broker, &followers_only};
  auto codes = [&] {
    std::vector<std::string> out;
    for (const auto& f : alice.session->of_type("error")) out.emplace_back(f.at("error_code").as_string());
    return out;
  };
  guarded.subscribe(*alice.connection, {"presence:2"});
  EXPECT_EQ(codes(), (std::vector<std::string>{"FORBIDDEN"}));
  EXPECT_TRUE(alice.connection->subscriptions.empty());
  follows.follow(UserId{1}, UserId{2});
  guarded.subscribe(*alice.connection, {"presence:2"});
  guarded.subscribe(*alice.connection, {"presence:1"});  // one's own
  EXPECT_EQ(alice.connection->subscriptions, (std::vector<std::string>{"presence:2", "presence:1"}));
  for (const char* bad : {"presence:", "presence:x", "presence:02", "presence:-2"}) {
    guarded.subscribe(*alice.connection, {bad});
  }
  EXPECT_EQ(codes(), (std::vector<std::string>{"FORBIDDEN", "INVALID_MESSAGE", "INVALID_MESSAGE",
                                               "INVALID_MESSAGE", "INVALID_MESSAGE"}));
  guarded.subscribe(*alice.connection, {"post_9"});  // other contexts are free
  EXPECT_EQ(alice.connection->subscriptions.size(), 3u);

  PresenceAccess everyone(PresenceAudience::all, follows);
  EXPECT_EQ(everyone.check(UserId{1}, "presence:3"), PresenceAccess::Verdict::allowed);
}
