#include "realtime/delivery.hpp"

#include <gtest/gtest.h>

#include "flow_fakes.hpp"
#include "realtime/follow_graph.hpp"
#include "realtime/presence_registry.hpp"
#include "util/worker_pool.hpp"

using namespace herald;
using namespace herald::realtime;
using namespace herald::realtime::test;

// The pool's threads are not started: the test runs each worker's event
// loop itself, so what is delivered when is decided here, not by timing.
namespace {
struct DeliveryTest : ::testing::Test {
  explicit DeliveryTest(std::chrono::milliseconds window = std::chrono::milliseconds(0))
      : delivery(pool, registry, {window, window}, &follows) {}

  // `from`: the presence number its `connected` snapshot was taken at.
  TestConnection join(std::int64_t user, std::uint64_t id, unsigned worker, std::uint64_t from = 0) {
    TestConnection t(events, posts, user, id, worker);
    registry.attach(UserId{user}, worker, 10);
    t.connection->presence_from = from;
    delivery.add(t.connection);
    return t;
  }
  void run_workers() {
    for (unsigned w = 0; w < pool.size(); ++w) {
      pool.context(w).restart();
      pool.context(w).poll();
    }
  }
  void status(std::int64_t subject, bool online, std::uint64_t seq) {
    auto target = cluster::Target::to_all_except(UserId{subject}, "user_status");
    target.presence_seq = seq;
    std::string text = std::string(R"({"type":"user_status","data":{"user_id":)") +
                       std::to_string(subject) + R"(,"status":")" + (online ? "online" : "offline") +
                       R"("}})";
    delivery.deliver(target, net::make_frame(text));
  }
  static std::vector<std::string> statuses(const FakeSession& s) {
    std::vector<std::string> out;
    for (const auto& f : s.of_type("user_status")) {
      const auto& d = f.at("data").as_object();
      out.push_back(std::to_string(d.at("user_id").as_int64()) + ":" +
                    std::string(d.at("status").as_string()));
    }
    return out;
  }

  util::WorkerPool pool{2};
  PresenceRegistry registry;
  FollowGraph follows;
  Delivery delivery;
  QueuedPosts posts;
  NoEvents events;
};

struct BatchedDeliveryTest : DeliveryTest {
  BatchedDeliveryTest() : DeliveryTest(std::chrono::milliseconds(20)) {}
};
}  // namespace

TEST_F(DeliveryTest, AFrameForAUserReachesEachOfItsWorkers) {
  auto a0 = join(1, 1, 0);
  auto a1 = join(1, 2, 1);
  auto b = join(2, 3, 0);
  delivery.deliver(cluster::Target::to_user(UserId{1}, "chat"), net::make_frame(R"({"type":"chat"})"));
  run_workers();
  EXPECT_EQ(a0.session->of_type("chat").size(), 1u);
  EXPECT_EQ(a1.session->of_type("chat").size(), 1u);
  EXPECT_TRUE(b.session->of_type("chat").empty());
}

// Audience `followers`: the subject's followers on every worker, each of
// their tabs once, never the subject, nobody else; resolved from the graph
// when delivered, whether the worker holds fewer users than the subject has
// followers or more.
TEST_F(DeliveryTest, AFollowersEventReachesTheOnlineFollowersOnly) {
  auto subject = join(1, 1, 0);
  auto fan = join(2, 2, 0);
  auto fan_tab0 = join(3, 3, 0);
  auto fan_tab1 = join(3, 4, 1);
  auto stranger = join(4, 5, 1);
  follows.follow(UserId{2}, UserId{1});
  follows.follow(UserId{3}, UserId{1});
  follows.follow(UserId{1}, UserId{4});  // the other way round: not an audience of 1
  auto event = [&](std::uint64_t seq, bool online) {
    auto target = cluster::Target::to_followers_of(UserId{1}, "user_status");
    target.presence_seq = seq;
    delivery.deliver(target, net::make_frame(std::string(R"({"type":"user_status","data":{"user_id":1,"status":")") +
                                             (online ? "online" : "offline") + R"("}})"));
    run_workers();
  };
  event(1, false);
  for (int i = 100; i < 140; ++i) follows.follow(UserId{i}, UserId{1});  // more followers than users here
  event(2, true);
  for (auto* fan_conn : {&fan, &fan_tab0, &fan_tab1}) {
    EXPECT_EQ(statuses(*fan_conn->session), (std::vector<std::string>{"1:offline", "1:online"}));
  }
  EXPECT_TRUE(statuses(*subject.session).empty());
  EXPECT_TRUE(statuses(*stranger.session).empty());
  follows.unfollow(UserId{2}, UserId{1});
  event(3, false);
  EXPECT_EQ(statuses(*fan.session).size(), 2u);
  EXPECT_EQ(statuses(*fan_tab1.session).size(), 3u);
}

// Posted from two threads, a user's offline (3) can reach a worker before
// their online (2): it waits, and observers end with the user offline.
TEST_F(DeliveryTest, PresenceEventsLeaveInNumberOrder) {
  auto watcher = join(1, 1, 0);
  status(2, false, 2);
  run_workers();
  EXPECT_TRUE(statuses(*watcher.session).empty());
  status(2, true, 1);
  run_workers();
  EXPECT_EQ(statuses(*watcher.session), (std::vector<std::string>{"2:online", "2:offline"}));
}

TEST_F(DeliveryTest, AConnectionGetsOnlyTheEventsAfterItsSnapshot) {
  auto early = join(1, 1, 0, 1);  // snapshot after event 1
  auto late = join(2, 2, 1, 2);   // snapshot after event 2
  status(1, true, 1);          // user 1's own online: before late's snapshot
  status(2, true, 2);          // user 2's online: in late's snapshot
  status(3, true, 3);          // after both
  run_workers();
  EXPECT_EQ(statuses(*early.session), (std::vector<std::string>{"2:online", "3:online"}));
  EXPECT_EQ(statuses(*late.session), (std::vector<std::string>{"3:online"}));
}

TEST_F(BatchedDeliveryTest, BroadcastsWaitForTheWindowAndAFrameForAUserDoesNot) {
  auto watcher = join(1, 1, 0);
  status(2, true, 1);
  delivery.deliver(cluster::Target::to_user(UserId{1}, "chat"), net::make_frame(R"({"type":"chat"})"));
  run_workers();
  EXPECT_EQ(watcher.session->of_type("chat").size(), 1u);
  EXPECT_TRUE(statuses(*watcher.session).empty());  // gathered, not yet sent
  // A connection joining inside the window is not sent what its snapshot counts.
  auto joiner = join(3, 3, 0, 2);  // snapshot after event 2
  status(3, true, 2);
  status(4, true, 3);
  pool.context(0).restart();
  pool.context(0).run_for(std::chrono::milliseconds(200));  // past the window
  EXPECT_EQ(statuses(*watcher.session), (std::vector<std::string>{"2:online", "3:online", "4:online"}));
  EXPECT_EQ(statuses(*joiner.session), (std::vector<std::string>{"4:online"}));
}
