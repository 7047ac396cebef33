// A connection's mailbox seqs when they come from several nodes (cluster
// mode on shared storage, MailboxGaps): an event that skips ahead waits for
// the seqs before it, which either arrive or are read from storage; either
// way each seq goes out once, in order.
#include <gtest/gtest.h>

#include "flow_fakes.hpp"
#include "protocol/server_messages.hpp"
#include "realtime/connection.hpp"

using namespace herald;
using namespace herald::realtime;
using namespace herald::realtime::test;

namespace {
class RecordingFiller final : public MailboxGapFiller {
 public:
  void fill_later(const std::shared_ptr<Connection>&) override { ++calls; }
  int calls = 0;
};

cluster::SharedFrame event(std::uint64_t seq) {
  return net::make_frame(protocol::user_status(UserId{static_cast<std::int64_t>(seq)}, true, "t"));
}

Connection::Outgoing stored(std::uint64_t seq) { return {event(seq), "chat", seq}; }

std::vector<std::int64_t> sent(const FakeSession& s) {
  std::vector<std::int64_t> seqs;
  for (const auto& f : s.frames) seqs.push_back(f.at("data").at("user_id").as_int64());
  return seqs;
}

struct ConnectionGapsTest : ::testing::Test {
  ConnectionGapsTest() { c.connection->set_gap_filler(&filler); }
  NoEvents events;
  QueuedPosts posts;
  TestConnection c{events, posts, 1, 1};
  RecordingFiller filler;
};
}  // namespace

TEST_F(ConnectionGapsTest, AnEventAheadWaitsForTheOnesBeforeIt) {
  c.connection->send_mailbox(1, event(1), "chat");
  c.connection->send_mailbox(3, event(3), "chat");
  EXPECT_EQ(sent(*c.session), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(filler.calls, 1);
  EXPECT_TRUE(c.connection->has_gap());
  c.connection->send_mailbox(4, event(4), "chat");  // behind the same gap: no second call
  EXPECT_EQ(filler.calls, 1);
  c.connection->send_mailbox(2, event(2), "chat");  // the missing one arrives
  EXPECT_EQ(sent(*c.session), (std::vector<std::int64_t>{1, 2, 3, 4}));
  EXPECT_FALSE(c.connection->has_gap());
  EXPECT_EQ(c.connection->mailbox_seq, 4u);
}

TEST_F(ConnectionGapsTest, MissingSeqsReadFromStorageGoFirstAndNothingTwice) {
  c.connection->mailbox_seq = 10;
  c.connection->send_mailbox(13, event(13), "chat");
  c.connection->send_mailbox(14, event(14), "chat");
  EXPECT_TRUE(c.session->frames.empty());
  // Storage has 11 to 14; 13 and 14 waited already and go out once.
  c.connection->fill_gap({stored(11), stored(12), stored(13), stored(14)});
  EXPECT_EQ(sent(*c.session), (std::vector<std::int64_t>{11, 12, 13, 14}));
  EXPECT_FALSE(c.connection->has_gap());
  c.connection->send_mailbox(12, event(12), "chat");  // a late copy
  EXPECT_EQ(sent(*c.session).size(), 4u);
}

TEST_F(ConnectionGapsTest, SeqsStorageDoesNotHaveAreSkippedNotWaitedForForever) {
  c.connection->mailbox_seq = 5;
  c.connection->send_mailbox(8, event(8), "chat");
  c.connection->fill_gap({stored(6)});  // 7 was rolled back (or is past retention)
  EXPECT_EQ(sent(*c.session), (std::vector<std::int64_t>{6, 8}));
  EXPECT_FALSE(c.connection->has_gap());
  EXPECT_EQ(c.connection->mailbox_seq, 8u);
}

TEST_F(ConnectionGapsTest, AnAckClosesAGapItsSeqFills) {
  c.connection->mailbox_seq = 1;
  c.connection->send_mailbox(3, event(3), "chat");
  c.connection->send_ack(2, event(2));  // the user's own chat, acked on this tab
  EXPECT_EQ(sent(*c.session), (std::vector<std::int64_t>{2, 3}));
  EXPECT_FALSE(c.connection->has_gap());
}

TEST_F(ConnectionGapsTest, WithoutAFillerSeqsGoOutAsTheyCome) {
  TestConnection plain(events, posts, 2, 2);
  plain.connection->send_mailbox(1, event(1), "chat");
  plain.connection->send_mailbox(3, event(3), "chat");
  EXPECT_EQ(sent(*plain.session), (std::vector<std::int64_t>{1, 3}));  // one node: no gap can occur
}
