// RedisPresence's scripts against a real redis-server (redis_server.hpp):
// a user with connections on two nodes goes online once and offline once;
// three nodes attaching and detaching many users in random interleavings
// give one stream with gapless numbers whose replay agrees with every
// snapshot and with the online set; a detach with nothing attached changes
// nothing; a node whose heartbeat lapses is reaped, its last-connection
// users going offline exactly once.
#include "cluster/redis_presence.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "cluster/redis_link.hpp"
#include "redis_server.hpp"
#include "run_until.hpp"

namespace herald::cluster {
namespace {

using namespace std::chrono_literals;

class RedisPresenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::have_redis_server()) GTEST_SKIP() << "redis-server is not installed";
    server_ = std::make_unique<test::RedisServer>();
    server_->start();
    url_ = *parse_redis_url(server_->url());
    listener_ = link();
    listener_->set_on_message([this](std::string_view, std::string_view payload) {
      auto e = parse_presence_event(payload);
      ASSERT_TRUE(e) << payload;
      events_.push_back(*e);
    });
    listener_->subscribe(kPresenceChannel);
    ASSERT_TRUE(run_until([&] { return listener_->up(); }));
  }

  std::unique_ptr<RedisLink> link() {
    auto l = std::make_unique<RedisLink>(io_, url_);
    l->start();
    EXPECT_TRUE(run_until([&] { return l->up(); }));
    return l;
  }

  template <class Pred>
  bool run_until(Pred done, std::chrono::milliseconds timeout = 5s) {
    return test::run_until(io_, done, timeout);
  }

  PresenceStep step(RedisPresence& p, bool attach, UserId user) {
    auto slot = std::make_shared<std::optional<std::optional<PresenceStep>>>();
    auto done = [slot](std::optional<PresenceStep> s) { *slot = s; };
    if (attach) {
      p.attach(user, "user" + std::to_string(raw(user)), done);
    } else {
      p.detach(user, done);
    }
    EXPECT_TRUE(run_until([&] { return slot->has_value(); }));
    EXPECT_TRUE(slot->has_value() && slot->value().has_value());
    return slot->value().value_or(PresenceStep{});
  }

  std::int64_t count(std::function<void(RedisPresence::CountHandler)> call) {
    auto slot = std::make_shared<std::optional<std::optional<std::int64_t>>>();
    call([slot](std::optional<std::int64_t> n) { *slot = n; });
    EXPECT_TRUE(run_until([&] { return slot->has_value(); }));
    return slot->value_or(std::nullopt).value_or(-1);
  }

  // Waits until the listener has every event up to `seq`.
  void await_events(std::uint64_t seq) {
    ASSERT_TRUE(run_until([&] { return !events_.empty() && events_.back().seq >= seq; }))
        << "events up to " << seq << ", have " << events_.size();
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::unique_ptr<test::RedisServer> server_;
  RedisUrl url_;
  std::unique_ptr<RedisLink> listener_;
  std::vector<PresenceEvent> events_;
};

TEST_F(RedisPresenceTest, TabsOnTwoNodesAreOnlineOnceAndOfflineOnce) {
  auto la = link(), lb = link();
  RedisPresence a(*la, 1), b(*lb, 2);
  UserId u{42};
  PresenceStep first = step(a, true, u);
  EXPECT_TRUE(first.changed);
  EXPECT_EQ(first.seq, 1u);
  EXPECT_EQ(first.online_count, 1);
  PresenceStep second = step(b, true, u);  // another tab, another node
  EXPECT_FALSE(second.changed);
  EXPECT_EQ(second.seq, 1u);  // the snapshot: nothing new since
  EXPECT_EQ(second.online_count, 1);
  EXPECT_FALSE(step(a, true, u).changed);
  EXPECT_FALSE(step(a, false, u).changed);
  EXPECT_FALSE(step(b, false, u).changed);  // node a still has a tab
  PresenceStep last = step(a, false, u);
  EXPECT_TRUE(last.changed);
  EXPECT_EQ(last.seq, 2u);
  EXPECT_EQ(last.online_count, 0);
  await_events(2);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_TRUE(events_[0].online);
  EXPECT_EQ(raw(events_[0].user), 42);
  EXPECT_FALSE(events_[1].online);
  EXPECT_EQ(events_[1].online_count, 0);
}

TEST_F(RedisPresenceTest, ADetachWithNothingAttachedChangesNothing) {
  auto l = link();
  RedisPresence p(*l, 7);
  PresenceStep s = step(p, false, UserId{5});
  EXPECT_FALSE(s.changed);
  EXPECT_EQ(s.seq, 0u);
  EXPECT_TRUE(step(p, true, UserId{5}).changed);  // no negative count left behind
  EXPECT_TRUE(step(p, false, UserId{5}).changed);
}

// Three nodes, 40 users, 600 random attaches and detaches issued without
// waiting (so Redis interleaves the nodes' scripts). The stream's numbers
// are 1..N without a gap; replaying it gives, at each number, the count the
// event carries; every reply's snapshot (seq, count) agrees with the replay
// at that seq; each user's events alternate online, offline; and what the
// replay ends with is the online set.
TEST_F(RedisPresenceTest, ManyNodesOneGaplessStreamThatAgreesWithEverySnapshot) {
  std::vector<std::unique_ptr<RedisLink>> links;
  std::vector<std::unique_ptr<RedisPresence>> nodes;
  for (NodeId n = 1; n <= 3; ++n) {
    links.push_back(link());
    nodes.push_back(std::make_unique<RedisPresence>(*links.back(), n));
  }
  std::mt19937 random(12345);
  std::map<std::pair<int, std::int64_t>, int> open;  // (node, user) -> tabs, as issued
  std::vector<PresenceStep> replies;
  int pending = 0;
  for (int i = 0; i < 600; ++i) {
    int node = static_cast<int>(random() % 3);
    std::int64_t user = 1 + static_cast<std::int64_t>(random() % 40);
    bool attach = open[{node, user}] == 0 || random() % 2 == 0;
    open[{node, user}] += attach ? 1 : -1;
    ++pending;
    auto done = [&](std::optional<PresenceStep> s) {
      --pending;
      ASSERT_TRUE(s);
      replies.push_back(*s);
    };
    if (attach) {
      nodes[node]->attach(UserId{user}, "u" + std::to_string(user), done);
    } else {
      nodes[node]->detach(UserId{user}, done);
    }
  }
  ASSERT_TRUE(run_until([&] { return pending == 0; }, 20s));
  std::uint64_t last = 0;
  for (const auto& r : replies) last = std::max(last, r.seq);
  await_events(last);

  std::set<std::int64_t> online;
  std::map<std::uint64_t, std::int64_t> count_at{{0, 0}};
  std::map<std::int64_t, bool> last_state;
  for (std::size_t i = 0; i < events_.size(); ++i) {
    const PresenceEvent& e = events_[i];
    ASSERT_EQ(e.seq, i + 1) << "a gap or a repeat in the stream";
    auto it = last_state.find(raw(e.user));
    EXPECT_NE(it == last_state.end() ? false : it->second, e.online) << "two in a row for " << raw(e.user);
    last_state[raw(e.user)] = e.online;
    if (e.online) {
      online.insert(raw(e.user));
    } else {
      online.erase(raw(e.user));
    }
    EXPECT_EQ(e.online_count, static_cast<std::int64_t>(online.size()));
    count_at[e.seq] = e.online_count;
  }
  for (const auto& r : replies) EXPECT_EQ(r.online_count, count_at[r.seq]) << "snapshot at " << r.seq;
  std::set<std::int64_t> expected;
  for (const auto& [key, tabs] : open) {
    if (tabs > 0) expected.insert(key.second);
  }
  EXPECT_EQ(online, expected);
}

TEST_F(RedisPresenceTest, ALapsedNodeIsReapedOnceAndItsLastTabsGoOffline) {
  auto la = link(), lc = link();
  RedisPresence a(*la, 1), c(*lc, 3);
  EXPECT_EQ(count([&](auto done) { a.heartbeat(60'000, done); }), 1);
  EXPECT_EQ(count([&](auto done) { c.heartbeat(150, done); }), 1);
  step(c, true, UserId{10});  // only on c
  step(c, true, UserId{11});  // on c and on a
  step(a, true, UserId{11});
  step(c, true, UserId{11});  // two tabs on c
  EXPECT_EQ(count([&](auto done) { a.reap_dead_nodes(done); }), 0);  // c is alive
  std::this_thread::sleep_for(300ms);  // c's heartbeat lapses
  EXPECT_EQ(count([&](auto done) { a.reap_dead_nodes(done); }), 1);  // user 10
  EXPECT_EQ(count([&](auto done) { a.reap_dead_nodes(done); }), 0);  // once
  await_events(3);
  ASSERT_EQ(events_.size(), 3u);
  EXPECT_EQ(raw(events_[2].user), 10);
  EXPECT_FALSE(events_[2].online);
  EXPECT_EQ(events_[2].online_count, 1);
  // User 11 is still online through node a, and leaves with its last tab.
  PresenceStep gone = step(a, false, UserId{11});
  EXPECT_TRUE(gone.changed);
  EXPECT_EQ(gone.online_count, 0);
}

TEST_F(RedisPresenceTest, EventsCarryTheNameGivenAtAttachWhateverItHolds) {
  auto l = link();
  RedisPresence p(*l, 1);
  const std::string name = "o'brien \"the\" \\ \u2603 \U0001F600";
  auto slot = std::make_shared<std::optional<std::optional<PresenceStep>>>();
  p.attach(UserId{9}, name, [slot](std::optional<PresenceStep> s) { *slot = s; });
  ASSERT_TRUE(run_until([&] { return slot->has_value(); }));
  step(p, false, UserId{9});
  await_events(2);
  EXPECT_EQ(events_[0].username, name);
  EXPECT_TRUE(events_[0].online);
  EXPECT_EQ(events_[1].username, name);  // offline: the name remembered at the attach
  EXPECT_FALSE(events_[1].online);
}

TEST_F(RedisPresenceTest, ASnapshotIsTheOnlineSetAtOneNumber) {
  auto l = link();
  RedisPresence p(*l, 1);
  for (std::int64_t u : {3, 4, 5}) step(p, true, UserId{u});
  step(p, false, UserId{4});
  auto slot = std::make_shared<std::optional<std::optional<PresenceSnapshotState>>>();
  p.snapshot([slot](std::optional<PresenceSnapshotState> s) { *slot = std::move(s); });
  ASSERT_TRUE(run_until([&] { return slot->has_value(); }));
  ASSERT_TRUE(slot->value());
  const PresenceSnapshotState& state = *slot->value();
  EXPECT_EQ(state.seq, 4u);
  std::set<std::int64_t> online;
  for (UserId u : state.online) online.insert(raw(u));
  EXPECT_EQ(online, (std::set<std::int64_t>{3, 5}));
}

TEST(PresenceEvent, ParsesTheScriptsJsonAndRefusesOtherShapes) {
  auto e = parse_presence_event(R"({"seq":7,"user":"12","name":"bob","online":false,"count":3})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->seq, 7u);
  EXPECT_EQ(raw(e->user), 12);
  EXPECT_EQ(e->username, "bob");
  EXPECT_FALSE(e->online);
  EXPECT_EQ(e->online_count, 3);
  for (const char* bad : {"", "[]", R"({"seq":7,"user":12,"name":"b","online":false,"count":3})",
                          R"({"seq":7,"user":"x","name":"b","online":false,"count":3})",
                          R"({"seq":7,"user":"1","online":false,"count":3})", R"({"seq":7,"user":"1"})"}) {
    EXPECT_FALSE(parse_presence_event(bad)) << bad;
  }
}

}  // namespace
}  // namespace herald::cluster
