#include "realtime/presence_flow.hpp"

#include <gtest/gtest.h>

#include "flow_fakes.hpp"
#include "realtime/presence_registry.hpp"

using namespace herald;
using namespace herald::realtime;
using namespace herald::realtime::test;
using herald::protocol::PresenceStatus;

namespace {
struct PresenceFlowTest : ::testing::Test {
  PresenceRegistry registry;
  RecordingBroker broker;
  QueuedPosts posts;
  NoEvents events;
  TestConnection alice{events, posts, 1, 11};
};
}  // namespace

TEST_F(PresenceFlowTest, StatusGoesToEveryoneButTheSubjectWithItsNumber) {
  PresenceFlow flow(PresenceAudience::all, registry, broker);
  flow.announce_status(UserId{1}, true, 7);
  ASSERT_EQ(broker.published.size(), 1u);
  const auto& p = broker.published[0];
  EXPECT_EQ(p.target.kind, cluster::Target::Kind::all_users);
  EXPECT_EQ(p.target.exclude_user, UserId{1});
  EXPECT_EQ(p.target.presence_seq, 7u);
  EXPECT_EQ(p.frame.at("type"), "user_status");
  EXPECT_EQ(p.frame.at("data").at("user_id"), 1);
  EXPECT_EQ(p.frame.at("data").at("status"), "online");
}

TEST_F(PresenceFlowTest, FollowersAudienceIsTheSubjectsFollowers) {
  PresenceFlow flow(PresenceAudience::followers, registry, broker);
  flow.announce_status(UserId{1}, false, 3);
  ASSERT_EQ(broker.published.size(), 1u);
  EXPECT_EQ(broker.published[0].target.kind, cluster::Target::Kind::followers);
  EXPECT_EQ(broker.published[0].target.user, UserId{1});
  EXPECT_EQ(broker.published[0].target.exclude_user, UserId{1});
  EXPECT_EQ(broker.published[0].target.presence_seq, 3u);
  EXPECT_EQ(broker.published[0].frame.at("data").at("status"), "offline");
}

// Each number the registry hands out is published exactly once, in the
// order given: Delivery's per-worker order waits for every number.
TEST_F(PresenceFlowTest, InvisibleModeAndBackPublishEveryNumberOnce) {
  PresenceFlow flow(PresenceAudience::all, registry, broker);
  auto attach = registry.attach(UserId{1}, 0, 10);
  flow.announce_status(UserId{1}, true, attach.seq);
  flow.set_status(*alice.connection, {PresenceStatus::away, std::string(R"({"device":"mobile"})")});
  flow.set_status(*alice.connection, {PresenceStatus::offline, std::nullopt});
  flow.set_status(*alice.connection, {PresenceStatus::offline, std::nullopt});  // still hidden: nothing
  flow.set_status(*alice.connection, {PresenceStatus::busy, std::nullopt});

  std::vector<std::pair<std::string, std::string>> seen;
  std::vector<std::uint64_t> numbers;
  for (const auto& p : broker.published) {
    const auto& d = p.frame.at("data").as_object();
    seen.emplace_back(std::string(p.frame.at("type").as_string()), std::string(d.at("status").as_string()));
    numbers.push_back(p.target.presence_seq);
  }
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(seen, (std::vector<P>{{"user_status", "online"}, {"presence", "away"},
                                  {"user_status", "offline"}, {"user_status", "online"},
                                  {"presence", "busy"}}));
  EXPECT_EQ(numbers, (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(broker.published[1].frame.at("data").at("data").at("device"), "mobile");
  EXPECT_EQ(registry.snapshot().seq, 5u);
}

TEST_F(PresenceFlowTest, TheSameStatusAgainIsCoalesced) {
  PresenceFlow flow(PresenceAudience::all, registry, broker);
  registry.attach(UserId{1}, 0, 10);
  flow.set_status(*alice.connection, {PresenceStatus::away, std::nullopt});
  flow.set_status(*alice.connection, {PresenceStatus::away, std::nullopt});
  ASSERT_EQ(broker.published.size(), 1u);
  flow.set_status(*alice.connection, {PresenceStatus::away, std::string(R"({"device":"mobile"})")});
  EXPECT_EQ(broker.published.size(), 2u);  // new data: a change
  EXPECT_EQ(registry.snapshot().seq, 3u);  // the repeat took no number
}

// Each presence event reaches every online user: a user's tabs together
// get one budget (burst 5, then 1 a second by default).
TEST_F(PresenceFlowTest, AUsersTabsShareOnePresenceBudget) {
  PresenceFlow flow(PresenceAudience::all, registry, broker);
  registry.attach(UserId{1}, 0, 10);
  registry.attach(UserId{1}, 1, 10);
  TestConnection tab2{events, posts, 1, 12, 1};
  const PresenceStatus cycle[] = {PresenceStatus::away, PresenceStatus::busy};
  for (int i = 0; i < 8; ++i) {
    flow.set_status(i % 2 ? *tab2.connection : *alice.connection, {cycle[i % 2], std::nullopt});
  }
  EXPECT_EQ(broker.published.size(), 5u);
  auto errors = alice.session->of_type("error").size() + tab2.session->of_type("error").size();
  EXPECT_EQ(errors, 3u);
  EXPECT_EQ(tab2.session->of_type("error").back().at("error_code"), "RATE_LIMITED");
}
