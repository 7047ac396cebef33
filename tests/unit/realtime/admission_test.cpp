#include "realtime/admission.hpp"

#include <gtest/gtest.h>

#include "auth/jwt.hpp"
#include "flow_fakes.hpp"
#include "realtime/mailbox_replay.hpp"
#include "realtime/presence_flow.hpp"
#include "realtime/presence_registry.hpp"
#include "realtime/shared_presence.hpp"
#include "protocol/server_messages.hpp"
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
  FakeMailboxReader mailbox;
  MailboxReplay replay{mailbox, directory, posts};
  Admission admission{{2, 30}, verifier, directory, registry, tables, users, presence, typing, replay};
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

namespace {
store::MailboxEvent chat_event(std::int64_t seq, std::int64_t id) {
  return {Seq{seq}, store::MailboxChat{MessageId{id}, UserId{2}, UserId{1}, "m" + std::to_string(id), 0}};
}
cluster::SharedFrame chat_frame(std::int64_t seq) {
  return net::make_frame(R"({"type":"chat","seq":)" + std::to_string(seq) + "}");
}
std::vector<std::int64_t> seqs_of(const FakeSession& s) {
  std::vector<std::int64_t> out;
  for (const auto& f : s.frames) {
    if (f.contains("seq")) out.push_back(f.at("seq").as_int64());
  }
  return out;
}
}  // namespace

// PROTOCOL.md 4.3: a user with no open connection gets what arrived after
// their last connection's mark, then live events; none twice, in order.
TEST_F(AdmissionTest, TheOfflineQueueIsReplayedBeforeLiveEventsWithNoneTwice) {
  directory.put(UserId{1}, "name1", Seq{5}, std::nullopt, 0);
  directory.raise_mailbox_mark(UserId{1}, Seq{2});
  auto a = open(1, 1, token(1));
  ASSERT_EQ(mailbox.pending.size(), 1u);
  EXPECT_EQ(mailbox.pending[0].after, Seq{2});
  EXPECT_TRUE(a.session->frames.empty());  // `connected` waits for the replay
  a.connection->send_mailbox(5, chat_frame(5), "chat");  // live, during the read
  a.connection->send_mailbox(6, chat_frame(6), "chat");
  store::MailboxPage page;
  page.events = {chat_event(3, 30), chat_event(4, 40), chat_event(5, 50)};
  mailbox.pending[0].done(page);
  posts.run_all();
  ASSERT_GE(a.session->frames.size(), 1u);
  EXPECT_EQ(a.session->frames[0].at("type"), "connected");
  EXPECT_EQ(a.session->frames[0].at("data").at("last_seq"), 5);
  EXPECT_FALSE(a.session->frames[0].at("data").as_object().contains("resync"));
  EXPECT_EQ(seqs_of(*a.session), (std::vector<std::int64_t>{3, 4, 5, 6}));
  EXPECT_EQ(a.connection->mailbox_seq, 6u);
  EXPECT_FALSE(a.connection->holding());
  // Live now: an old seq is dropped, a new one goes at once.
  a.connection->send_mailbox(6, chat_frame(6), "chat");
  a.connection->send_mailbox(7, chat_frame(7), "chat");
  EXPECT_EQ(seqs_of(*a.session), (std::vector<std::int64_t>{3, 4, 5, 6, 7}));
}

TEST_F(AdmissionTest, SinceReplaysFromItsSeqAndAnAckIsNeverSkipped) {
  directory.put(UserId{1}, "name1", Seq{5}, std::nullopt, 0);
  TestConnection a(events, posts, 0, 1);
  admission.open(a.connection, net::UpgradeInfo{token(1), "4", "127.0.0.1"});
  ASSERT_EQ(mailbox.pending.size(), 1u);
  EXPECT_EQ(mailbox.pending[0].after, Seq{4});
  // The client's own chat (seq 5) is in the replay and its ack arrives too.
  a.connection->send_ack(5, net::make_frame(R"({"type":"ack","data":{"seq":5}})"));
  store::MailboxPage page;
  page.events = {chat_event(5, 50)};
  page.resync = true;
  mailbox.pending[0].done(page);
  posts.run_all();
  ASSERT_EQ(a.session->frames.size(), 3u);
  EXPECT_EQ(a.session->frames[0].at("data").at("resync"), true);
  EXPECT_EQ(a.session->frames[1].at("type"), "chat");
  EXPECT_EQ(a.session->frames[2].at("type"), "ack");
}

TEST_F(AdmissionTest, NothingToReplayMeansNoReadAndAMalformedSinceAsksForAResync) {
  directory.put(UserId{1}, "name1", Seq{5}, std::nullopt, 0);
  TestConnection a(events, posts, 0, 1);
  admission.open(a.connection, net::UpgradeInfo{token(1), "5", "127.0.0.1"});
  TestConnection b(events, posts, 0, 2);  // a second tab: its first tab had every event
  admission.open(b.connection, net::UpgradeInfo{token(1), "", "127.0.0.1"});
  TestConnection c(events, posts, 0, 3);
  admission.close(*b.connection, 1000);  // the per-user cap here is 2
  admission.open(c.connection, net::UpgradeInfo{token(1), "-1", "127.0.0.1"});
  EXPECT_TRUE(mailbox.pending.empty());
  for (auto* t : {&a, &b, &c}) {
    ASSERT_EQ(t->session->frames.size(), 1u);
    EXPECT_EQ(t->connection->mailbox_seq, 5u);
  }
  EXPECT_FALSE(a.session->frames[0].at("data").as_object().contains("resync"));
  EXPECT_EQ(c.session->frames[0].at("data").at("resync"), true);
}

TEST_F(AdmissionTest, TheLastCloseKeepsTheMarkExceptAfterASlowConsumerClose) {
  directory.put(UserId{1}, "name1", Seq{5}, std::nullopt, 0);
  directory.raise_mailbox_mark(UserId{1}, Seq{5});
  auto a = open(1, 1, token(1));
  a.connection->send_mailbox(6, chat_frame(6), "chat");
  admission.close(*a.connection, 1000);
  EXPECT_EQ(directory.find(UserId{1})->mailbox_mark, Seq{6});
  ASSERT_EQ(users.marks.size(), 1u);
  EXPECT_EQ(users.marks[0].second, Seq{6});
  auto b = open(1, 2, token(1));
  b.connection->send_mailbox(7, chat_frame(7), "chat");
  admission.close(*b.connection, 4010);  // its queue was dropped: owed again
  EXPECT_EQ(directory.find(UserId{1})->mailbox_mark, Seq{6});
}

// --- cluster mode: presence applied in Redis (SharedPresence) ---

namespace {
// Keeps each attach until the test answers it, as Redis would, later.
class FakeSharedPresence final : public SharedPresence {
 public:
  void attach(UserId user, const std::string&, AttachDone done) override {
    attaches.push_back({user, std::move(done)});
  }
  void detach(UserId user) override { detaches.push_back(user); }
  void set_status(UserId user, protocol::PresenceStatus status,
                  const std::optional<std::string>&) override {
    statuses.push_back({user, status});
  }
  std::optional<std::vector<cluster::SharedFrame>> events_between(PresenceSeq after, PresenceSeq upto,
                                                                  UserId viewer) const override {
    asked.push_back({after, upto, viewer});
    if (!ring_holds) return std::nullopt;
    std::vector<cluster::SharedFrame> frames;
    for (PresenceSeq s = after + 1; s <= upto; ++s) {
      frames.push_back(net::make_frame(protocol::user_status(UserId{1000 + static_cast<std::int64_t>(s)},
                                                             true, "t")));
    }
    return frames;
  }
  PresenceSnapshot local_snapshot() const override { return mirror; }

  std::vector<std::pair<UserId, AttachDone>> attaches;
  std::vector<UserId> detaches;
  std::vector<std::pair<UserId, protocol::PresenceStatus>> statuses;
  struct Asked {
    PresenceSeq after, upto;
    UserId viewer;
  };
  mutable std::vector<Asked> asked;
  bool ring_holds = true;
  PresenceSnapshot mirror;
};

struct ClusterAdmissionTest : AdmissionTest {
  ClusterAdmissionTest() {
    admission.set_shared(&shared, &posts);
    presence.set_shared(&shared);
  }
  // Redis answers the i-th attach; its continuation runs on the worker.
  void answer(std::size_t i, std::optional<PresenceSnapshot> snapshot) {
    shared.attaches.at(i).second(snapshot);
    posts.run_all();
  }
  FakeSharedPresence shared;
};
}  // namespace

TEST_F(ClusterAdmissionTest, AConnectionIsWelcomedOnlyWhenTheClusterHasNumberedItsAttach) {
  auto a = open(1, 1, token(1));
  EXPECT_TRUE(a.session->frames.empty());
  EXPECT_FALSE(a.connection->attached);   // takes no part until welcomed
  EXPECT_EQ(registry.connection_count(), 1);  // but counted here: the cap, the routing
  ASSERT_EQ(shared.attaches.size(), 1u);
  tables.passed = 30;
  answer(0, PresenceSnapshot{5, 40});
  ASSERT_EQ(a.session->frames.size(), 1u);
  EXPECT_EQ(a.session->frames[0].at("type"), "connected");
  EXPECT_EQ(a.session->frames[0].at("data").at("online_count"), 5);
  EXPECT_EQ(a.connection->presence_from, 40u);  // 31..40 reach this worker later, skipped
  EXPECT_TRUE(a.connection->attached);
  EXPECT_EQ(tables.added, (std::vector<ConnectionId>{ConnectionId{1}}));
  EXPECT_TRUE(broker.published.empty());  // announced by the cluster's stream, not here
  EXPECT_TRUE(shared.asked.empty());
}

TEST_F(ClusterAdmissionTest, AnAnswerBehindItsWorkerIsFollowedByTheEventsTheWorkerPassed) {
  auto a = open(1, 1, token(1));
  tables.passed = 43;
  answer(0, PresenceSnapshot{5, 40});
  ASSERT_EQ(shared.asked.size(), 1u);
  EXPECT_EQ(shared.asked[0].after, 40u);
  EXPECT_EQ(shared.asked[0].upto, 43u);
  EXPECT_EQ(shared.asked[0].viewer, UserId{1});
  ASSERT_EQ(a.session->frames.size(), 4u);
  EXPECT_EQ(a.session->frames[0].at("type"), "connected");
  EXPECT_EQ(a.session->frames[0].at("data").at("online_count"), 5);
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(a.session->frames[i].at("data").at("user_id"), 1040 + i);
  }
  EXPECT_EQ(a.connection->presence_from, 43u);  // the tables give it 44 on
}

TEST_F(ClusterAdmissionTest, WithRedisAwayTheConnectionIsWelcomedFromTheMirror) {
  auto a = open(1, 1, token(1));
  shared.mirror = PresenceSnapshot{3, 10};
  tables.passed = 12;
  answer(0, std::nullopt);
  ASSERT_EQ(a.session->frames.size(), 1u);
  EXPECT_EQ(a.session->frames[0].at("data").at("online_count"), 3);
  EXPECT_EQ(a.connection->presence_from, 12u);
}

TEST_F(ClusterAdmissionTest, AConnectionClosedBeforeTheAnswerIsDetachedAndNeverWelcomed) {
  auto a = open(1, 1, token(1));
  a.session->close(net::CloseCode::normal, "");
  admission.close(*a.connection, 1000);
  EXPECT_EQ(shared.detaches, (std::vector<UserId>{UserId{1}}));  // after the attach, in order
  EXPECT_TRUE(tables.removed.empty());  // it never joined them
  EXPECT_EQ(registry.connection_count(), 0);
  answer(0, PresenceSnapshot{1, 7});
  EXPECT_TRUE(a.session->frames.empty());
  EXPECT_TRUE(tables.added.empty());
  EXPECT_TRUE(broker.published.empty());
}

TEST_F(ClusterAdmissionTest, ClosesAndStatusesGoToTheClusterNotToTheBroker) {
  auto a = open(1, 1, token(1));
  answer(0, PresenceSnapshot{1, 1});
  presence.set_status(*a.connection, {protocol::PresenceStatus::away, std::nullopt});
  ASSERT_EQ(shared.statuses.size(), 1u);
  EXPECT_EQ(shared.statuses[0].second, protocol::PresenceStatus::away);
  admission.close(*a.connection, 1000);
  EXPECT_EQ(shared.detaches, (std::vector<UserId>{UserId{1}}));
  EXPECT_EQ(tables.removed, (std::vector<ConnectionId>{ConnectionId{1}}));
  EXPECT_TRUE(broker.published.empty());
  EXPECT_EQ(users.last_seen, (std::vector<UserId>{UserId{1}}));  // kept as on one node
}
