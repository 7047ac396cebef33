#include "realtime/chat_flow.hpp"

#include <gtest/gtest.h>

#include "flow_fakes.hpp"
#include "realtime/user_directory.hpp"

using namespace herald;
using namespace herald::realtime;
using namespace herald::realtime::test;

namespace {
struct ChatFlowTest : ::testing::Test {
  ChatFlowTest() {
    directory.put(UserId{1}, "alice", Seq{0}, std::nullopt, 0);
    directory.put(UserId{2}, "bob", Seq{0}, std::nullopt, 0);
  }
  UserDirectory directory;
  FakeChatStore store;
  QueuedPosts posts;
  RecordingBroker broker;
  NoEvents events;
  ChatFlow flow{directory, store, posts, broker};
  TestConnection alice{events, posts, 1, 11};
};

store::ChatInsertResult stored_as(std::int64_t id, std::int64_t sender_seq, std::int64_t recipient_seq,
                                  bool duplicate = false) {
  return {MessageId{id}, Seq{sender_seq}, Seq{recipient_seq}, 1'700'000'000'000, duplicate};
}
}  // namespace

TEST_F(ChatFlowTest, ChatToOneselfIsInvalidAndNotStored) {
  flow.send(*alice.connection, {UserId{1}, "me", "x1"});
  auto errors = alice.session->of_type("error");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].at("error_code"), "INVALID_MESSAGE");
  EXPECT_EQ(errors[0].at("ref"), "x1");
  EXPECT_TRUE(store.pending.empty());
}

TEST_F(ChatFlowTest, UnknownRecipientIsUserNotFound) {
  flow.send(*alice.connection, {UserId{99}, "hi", std::nullopt});
  auto errors = alice.session->of_type("error");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].at("error_code"), "USER_NOT_FOUND");
  EXPECT_TRUE(store.pending.empty());
}

TEST_F(ChatFlowTest, AckAndDeliveryWaitForTheCommitThenCarryEachMailboxSeq) {
  flow.send(*alice.connection, {UserId{2}, "Hello!", "abc"});
  ASSERT_EQ(store.pending.size(), 1u);
  EXPECT_EQ(store.pending[0].chat.from, UserId{1});
  EXPECT_EQ(store.pending[0].chat.to, UserId{2});
  EXPECT_TRUE(alice.session->frames.empty());  // nothing before the commit
  EXPECT_TRUE(broker.published.empty());

  store.pending[0].stored(stored_as(9001, 12, 58));  // the storage thread, after COMMIT
  EXPECT_TRUE(alice.session->frames.empty());        // handed to the sender's worker first
  ASSERT_EQ(posts.queued.size(), 1u);
  EXPECT_EQ(posts.queued.front().first, 0u);
  posts.run_all();

  auto acks = alice.session->of_type("ack");
  ASSERT_EQ(acks.size(), 1u);
  const auto& ack = acks[0].at("data").as_object();
  EXPECT_EQ(ack.at("client_msg_id"), "abc");
  EXPECT_EQ(ack.at("id"), 9001);
  EXPECT_EQ(ack.at("seq"), 12);

  ASSERT_EQ(broker.published.size(), 2u);
  const auto& to_bob = broker.published[0];
  EXPECT_EQ(to_bob.target.kind, cluster::Target::Kind::user);
  EXPECT_EQ(to_bob.target.user, UserId{2});
  EXPECT_EQ(to_bob.frame.at("seq"), 58);
  EXPECT_EQ(to_bob.frame.at("data").at("from_username"), "user1");
  EXPECT_EQ(to_bob.frame.at("data").at("message"), "Hello!");
  const auto& to_alice = broker.published[1];
  EXPECT_EQ(to_alice.target.user, UserId{1});
  EXPECT_EQ(to_alice.target.exclude_connection, ConnectionId{11});  // her other devices only
  EXPECT_EQ(to_alice.frame.at("seq"), 12);
  EXPECT_EQ(raw(directory.find(UserId{2})->last_seq), 58);
}

TEST_F(ChatFlowTest, ARepeatedClientMsgIdIsAckedAgainAndDeliveredToNoOne) {
  flow.send(*alice.connection, {UserId{2}, "Hello!", "abc"});
  store.pending[0].stored(stored_as(9001, 12, 58, /*duplicate=*/true));
  posts.run_all();
  ASSERT_EQ(alice.session->of_type("ack").size(), 1u);
  EXPECT_EQ(alice.session->of_type("ack")[0].at("data").at("id"), 9001);
  EXPECT_TRUE(broker.published.empty());
}

TEST_F(ChatFlowTest, AStoreFailureIsAProcessingErrorAndNothingIsAcked) {
  flow.send(*alice.connection, {UserId{2}, "Hello!", "abc"});
  store.pending[0].failed("disk I/O error");
  posts.run_all();
  EXPECT_TRUE(alice.session->of_type("ack").empty());
  auto errors = alice.session->of_type("error");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].at("error_code"), "MESSAGE_PROCESSING_ERROR");
  EXPECT_EQ(errors[0].at("ref"), "abc");
  EXPECT_TRUE(broker.published.empty());
}
