#include "realtime/admission.hpp"

#include <gtest/gtest.h>

#include "auth/jwt.hpp"
#include "flow_fakes.hpp"
#include "realtime/presence_flow.hpp"
#include "realtime/presence_registry.hpp"
#include "realtime/typing_flow.hpp"
#include "realtime/user_directory.hpp"
#include "util/clock.hpp"

using namespace herald;
using namespace herald::realtime;
using namespace herald::realtime::test;

namespace {
const std::string kSecret = "admission-test-secret-0123456789abcdef";

auth::JwtKeys keys() {
  auth::JwtKeys k;
  k.secret = kSecret;
  return k;
}

struct AdmissionTest : ::testing::Test {
  std::string token(std::int64_t user, std::int64_t lifetime_s = 3600) {
    return issuer.mint(UserId{user}, "name" + std::to_string(user), auth::TokenType::access,
                       util::unix_seconds_now(), lifetime_s);
  }
  TestConnection open(std::int64_t user, std::uint64_t id, const std::string& tok) {
    TestConnection t(events, posts, 0, id);
    admission.open(t.connection, net::UpgradeInfo{tok, "", "127.0.0.1"});
    return t;
  }

  auth::JwtVerifier verifier{keys()};
  auth::JwtIssuer issuer{keys()};
  UserDirectory directory;
  PresenceRegistry registry;
  FakeTables tables;
  FakeUserStore users;
  RecordingBroker broker;
  QueuedPosts posts;
  NoEvents events;
  PresenceFlow presence{PresenceAudience::all, registry, broker};
  TypingFlow typing{100, directory, registry, tables, broker};
  Admission admission{{2, 30}, verifier, directory, registry, tables, users, presence, typing};
};
}  // namespace

TEST_F(AdmissionTest, MissingInvalidAndExpiredTokensAreClosedWithTheirCodes) {
  EXPECT_EQ(open(1, 1, "").session->closed_with, net::CloseCode::invalid_token);
  EXPECT_EQ(open(1, 2, "not.a.token").session->closed_with, net::CloseCode::invalid_token);
  EXPECT_EQ(open(1, 3, token(1, -10)).session->closed_with, net::CloseCode::token_expired);
  EXPECT_EQ(registry.connection_count(), 0);
  EXPECT_TRUE(broker.published.empty());
  EXPECT_TRUE(users.users.empty());
}

TEST_F(AdmissionTest, AFirstConnectionIsWelcomedWithItsSnapshotThenAnnounced) {
  auto a = open(1, 1, token(1));
  ASSERT_FALSE(a.session->closed_with);
  EXPECT_TRUE(a.connection->attached);
  EXPECT_EQ(tables.added, (std::vector<ConnectionId>{ConnectionId{1}}));
  ASSERT_EQ(a.session->frames.size(), 1u);
  const auto& welcome = a.session->frames[0].at("data").as_object();
  EXPECT_EQ(welcome.at("user_id"), 1);
  EXPECT_EQ(welcome.at("message"), "Welcome, name1!");
  EXPECT_EQ(welcome.at("online_count"), 1);
  EXPECT_EQ(a.connection->presence_from, 1u);  // its own online is in the count
  // A user known only from the token is learnt at once and stored behind.
  EXPECT_TRUE(directory.contains(UserId{1}));
  ASSERT_EQ(users.users.size(), 1u);
  EXPECT_EQ(users.users[0].second, "name1");
  ASSERT_EQ(broker.published.size(), 1u);
  EXPECT_EQ(broker.published[0].target.presence_seq, 1u);
  EXPECT_EQ(broker.published[0].frame.at("data").at("status"), "online");

  auto b = open(2, 2, token(2));
  EXPECT_EQ(b.session->frames[0].at("data").at("online_count"), 2);
  EXPECT_EQ(b.connection->presence_from, 2u);
  auto a2 = open(1, 3, token(1));  // a second tab announces nothing
  EXPECT_EQ(a2.connection->presence_from, 2u);
  EXPECT_EQ(broker.published.size(), 2u);
  EXPECT_EQ(users.users.size(), 2u);  // user 1 is not learnt twice
}

TEST_F(AdmissionTest, BeyondThePerUserCapTheConnectionIsClosed4009) {
  auto a = open(1, 1, token(1));
  auto b = open(1, 2, token(1));
  auto c = open(1, 3, token(1));
  EXPECT_FALSE(b.session->closed_with);
  EXPECT_EQ(c.session->closed_with, net::CloseCode::too_many_connections);
  EXPECT_FALSE(c.connection->attached);
  EXPECT_EQ(registry.connection_count(), 2);
}

TEST_F(AdmissionTest, OnlyTheLastCloseAnnouncesOfflineAndKeepsLastSeen) {
  auto a = open(1, 1, token(1));
  auto b = open(1, 2, token(1));
  typing.typing(*a.connection, {true, "post_1", std::nullopt});
  broker.published.clear();
  admission.close(*a.connection, 1000);
  EXPECT_EQ(tables.removed, (std::vector<ConnectionId>{ConnectionId{1}}));
  ASSERT_EQ(broker.published.size(), 1u);  // only its typing switched off
  EXPECT_EQ(broker.published[0].frame.at("type"), "typing");
  EXPECT_TRUE(users.last_seen.empty());
  admission.close(*b.connection, 1001);
  ASSERT_EQ(broker.published.size(), 2u);
  EXPECT_EQ(broker.published[1].frame.at("data").at("status"), "offline");
  EXPECT_EQ(broker.published[1].target.presence_seq, 2u);
  EXPECT_EQ(users.last_seen, (std::vector<UserId>{UserId{1}}));
  EXPECT_EQ(registry.online_count(), 0);
  admission.close(*b.connection, 1001);  // a second report changes nothing
  EXPECT_EQ(broker.published.size(), 2u);
}
