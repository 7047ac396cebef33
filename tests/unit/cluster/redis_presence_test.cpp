// RedisPresence's scripts against a real redis-server (redis_server.hpp).
// Every transition that changes anything is one event with the next
// number and the user's whole state: tabs on two nodes count across nodes
// and go online once and offline once; an invisible user's tabs are
// counted but never online; entering and leaving invisible mode, a status
// repeated, a status forgotten with the last tab; a node's share rebuilt
// after Redis lost everything (numbered above the nodes' floor, an
// invisible user kept invisible, a status restored where Redis has none),
// and replaced; a lapsed node reaped once, a node alive for its TTL after
// its heartbeat and only through it, a heartbeat answering whether it had
// lapsed; the name and the snapshot. Three nodes attaching, detaching and setting statuses in
// random interleavings give one gapless stream that agrees with every
// reply and, through a PresenceMirror, with the final snapshot.
#include "cluster/redis_presence.hpp"

#include <algorithm>
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

#include "cluster/presence_mirror.hpp"
#include "cluster/redis_link.hpp"
#include "redis_server.hpp"
#include "run_until.hpp"

namespace herald::cluster {
namespace {

using namespace std::chrono_literals;

std::string name_of(std::int64_t user) { return "user" + std::to_string(user); }

// One user's line of a node's share, named as name_of() names them.
NodeShareEntry entry(std::int64_t user, int connections, std::string status = "online",
                     std::optional<std::string> data = std::nullopt) {
  NodeShareEntry e;
  e.user = UserId{user};
  e.connections = connections;
  e.username = name_of(user);
  e.status = std::move(status);
  e.data = std::move(data);
  return e;
}

const char* kind_name(PresenceEventKind k) {
  switch (k) {
    case PresenceEventKind::connections:
      return "connections";
    case PresenceEventKind::user_status:
      return "user_status";
    case PresenceEventKind::presence:
      return "presence";
  }
  return "?";
}

// "user_status 42 c1 on n1 online": kind, user, connections, visible,
// online count (unless left out), status and data; the number is checked
// apart (expect_numbered_from).
std::string describe(const PresenceEvent& e, bool with_count = true) {
  return std::string(kind_name(e.kind)) + " " + std::to_string(raw(e.user)) + " c" +
         std::to_string(e.connections) + (e.online ? " on" : " off") +
         (with_count ? " n" + std::to_string(e.online_count) : "") + " " + e.status +
         (e.data ? " " + *e.data : "");
}

std::vector<std::string> describe(const std::vector<PresenceEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(describe(e));
  return out;
}

// Events whose order Redis leaves open (a script walking a set's members),
// one per user; without the online counts, which depend on that order.
std::map<std::int64_t, std::string> by_user(const std::vector<PresenceEvent>& events) {
  std::map<std::int64_t, std::string> out;
  for (const auto& e : events) EXPECT_TRUE(out.emplace(raw(e.user), describe(e, false)).second);
  return out;
}

// The events' numbers are first, first + 1, ...
void expect_numbered_from(std::uint64_t first, const std::vector<PresenceEvent>& events) {
  for (std::size_t i = 0; i < events.size(); ++i)
    EXPECT_EQ(events[i].seq, first + i) << describe(events[i]);
}

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

  // Runs one call taking a handler of std::optional<T> and waits for it.
  template <class T, class Call>
  std::optional<T> ask(Call call) {
    auto slot = std::make_shared<std::optional<std::optional<T>>>();
    call([slot](std::optional<T> v) { *slot = std::move(v); });
    EXPECT_TRUE(run_until([&] { return slot->has_value(); }));
    return slot->value_or(std::nullopt);
  }

  PresenceStep must(std::optional<PresenceStep> s) {
    EXPECT_TRUE(s) << "the script failed";
    return s.value_or(PresenceStep{});
  }
  PresenceStep attach(RedisPresence& p, std::int64_t user) {
    return must(ask<PresenceStep>([&](auto done) { p.attach(UserId{user}, name_of(user), done); }));
  }
  PresenceStep detach(RedisPresence& p, std::int64_t user) {
    return must(ask<PresenceStep>([&](auto done) { p.detach(UserId{user}, done); }));
  }
  PresenceStep set_status(RedisPresence& p, std::int64_t user, const std::string& status,
                          std::optional<std::string> data = std::nullopt) {
    return must(
        ask<PresenceStep>([&](auto done) { p.set_status(UserId{user}, status, data, done); }));
  }
  PresenceStep rebuild(RedisPresence& p, const std::vector<NodeShareEntry>& share,
                       std::uint64_t floor = 0) {
    return must(ask<PresenceStep>([&](auto done) { p.rebuild_share(share, floor, done); }));
  }
  std::int64_t heartbeat(RedisPresence& p) {
    return ask<std::int64_t>([&](auto done) { p.heartbeat(done); }).value_or(-1);
  }
  // Redis restarted empty, as far as the scripts can tell.
  void flush_redis() {
    auto l = link();
    auto flushed =
        ask<Reply>([&](auto done) { l->command({"FLUSHALL"}, [done](Reply r) { done(r); }); });
    ASSERT_TRUE(flushed && flushed->type == Reply::Type::status)
        << (flushed ? flushed->text : "no reply");
  }
  std::int64_t reap(RedisPresence& p) {
    return ask<std::int64_t>([&](auto done) { p.reap_dead_nodes(done); }).value_or(-1);
  }
  PresenceSnapshotState snapshot(RedisPresence& p) {
    auto s = ask<PresenceSnapshotState>([&](auto done) { p.snapshot(done); });
    EXPECT_TRUE(s) << "the snapshot failed";
    return s.value_or(PresenceSnapshotState{});
  }

  // Waits until the listener holds `n` events.
  void await_events(std::size_t n) {
    ASSERT_TRUE(run_until([&] { return events_.size() >= n; }))
        << "waiting for " << n << " events, have " << events_.size();
  }
  // The events from index `from` on, once there are `n` of them.
  std::vector<PresenceEvent> events_from(std::size_t from, std::size_t n) {
    await_events(from + n);
    return {events_.begin() + static_cast<std::ptrdiff_t>(from), events_.end()};
  }

  // That nothing was published since the listener's `n` events: an attach
  // of a user nobody else uses must be the very next event, numbered
  // `next_seq`.
  void expect_nothing_published_after(std::size_t n, RedisPresence& p, std::uint64_t next_seq) {
    PresenceStep s = attach(p, 999);
    EXPECT_EQ(s.seq, next_seq);
    auto after = events_from(n, 1);
    ASSERT_EQ(after.size(), 1u);
    EXPECT_EQ(raw(after[0].user), 999);
    EXPECT_EQ(after[0].seq, next_seq);
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::unique_ptr<test::RedisServer> server_;
  RedisUrl url_;
  std::unique_ptr<RedisLink> listener_;
  std::vector<PresenceEvent> events_;
};

TEST_F(RedisPresenceTest, TabsOnTwoNodesAreOnlineOnceOfflineOnceAndEveryChangeIsNumbered) {
  auto la = link(), lb = link();
  RedisPresence a(*la, 1), b(*lb, 2);
  PresenceStep first = attach(a, 42);
  EXPECT_TRUE(first.changed);
  EXPECT_EQ(first.seq, 1u);
  EXPECT_EQ(first.online_count, 1);
  PresenceStep second = attach(b, 42);  // another tab, another node
  EXPECT_FALSE(second.changed);
  EXPECT_EQ(second.seq, 2u);  // the snapshot: its own connections event
  EXPECT_EQ(second.online_count, 1);
  EXPECT_FALSE(attach(a, 42).changed);
  EXPECT_FALSE(detach(a, 42).changed);
  EXPECT_FALSE(detach(b, 42).changed);  // node a still has a tab
  PresenceStep last = detach(a, 42);
  EXPECT_TRUE(last.changed);
  EXPECT_EQ(last.seq, 6u);
  EXPECT_EQ(last.online_count, 0);
  auto events = events_from(0, 6);
  expect_numbered_from(1, events);
  EXPECT_EQ(describe(events), (std::vector<std::string>{
                                  "user_status 42 c1 on n1 online",
                                  "connections 42 c2 on n1 online",
                                  "connections 42 c3 on n1 online",
                                  "connections 42 c2 on n1 online",
                                  "connections 42 c1 on n1 online",
                                  "user_status 42 c0 off n0 online",
                              }));
  EXPECT_EQ(events[0].username, name_of(42));
}

TEST_F(RedisPresenceTest, ADetachWithNothingAttachedChangesNothing) {
  auto la = link(), lb = link();
  RedisPresence a(*la, 7), b(*lb, 8);
  PresenceStep s = detach(a, 5);
  EXPECT_FALSE(s.changed);
  EXPECT_EQ(s.seq, 0u);
  EXPECT_TRUE(attach(a, 5).changed);  // no negative count left behind
  s = detach(b, 5);                   // attached on a, not on b
  EXPECT_FALSE(s.changed);
  EXPECT_EQ(s.seq, 1u);
  EXPECT_TRUE(detach(a, 5).changed);
  auto events = events_from(0, 2);
  EXPECT_EQ(describe(events), (std::vector<std::string>{"user_status 5 c1 on n1 online",
                                                        "user_status 5 c0 off n0 online"}));
}

TEST_F(RedisPresenceTest, AnInvisibleUsersTabsAreCountedButNeverOnline) {
  auto la = link(), lb = link();
  RedisPresence a(*la, 1), b(*lb, 2);
  attach(a, 5);
  PresenceStep hidden = set_status(a, 5, "offline");
  EXPECT_TRUE(hidden.changed);
  EXPECT_EQ(hidden.online_count, 0);
  PresenceStep tab = attach(b, 5);
  EXPECT_FALSE(tab.changed);
  EXPECT_EQ(tab.seq, 3u);
  EXPECT_EQ(tab.online_count, 0);
  EXPECT_EQ(attach(b, 6).online_count, 1);  // only 6 counts
  PresenceStep closing = detach(a, 5);
  EXPECT_FALSE(closing.changed);
  // New data while invisible: nothing anyone sees, yet numbered, so that
  // mirrors hold what Redis holds.
  PresenceStep data = set_status(b, 5, "offline", R"({"x":1})");
  EXPECT_FALSE(data.changed);
  EXPECT_EQ(data.seq, 6u);
  EXPECT_EQ(describe(events_from(0, 6)), (std::vector<std::string>{
                                             "user_status 5 c1 on n1 online",
                                             "user_status 5 c1 off n0 offline",
                                             "connections 5 c2 off n0 offline",
                                             "user_status 6 c1 on n1 online",
                                             "connections 5 c1 off n1 offline",
                                             R"(connections 5 c1 off n1 offline {"x":1})",
                                         }));
  // Its last tab closing is no offline event: nobody saw it online.
  EXPECT_FALSE(detach(b, 5).changed);
  EXPECT_EQ(describe(events_from(6, 1)),
            (std::vector<std::string>{"connections 5 c0 off n1 online"}));
}

TEST_F(RedisPresenceTest, LeavingInvisibleModeWithAStatusIsUserStatusThenPresence) {
  auto l = link();
  RedisPresence p(*l, 1);
  attach(p, 5);
  PresenceStep hidden = set_status(p, 5, "offline");
  EXPECT_TRUE(hidden.changed);
  EXPECT_EQ(hidden.seq, 2u);
  PresenceStep back = set_status(p, 5, "away", R"({"note":"later"})");
  EXPECT_TRUE(back.changed);
  EXPECT_EQ(back.seq, 4u);  // two events, the reply has the last
  EXPECT_EQ(back.online_count, 1);
  PresenceStep busy = set_status(p, 5, "busy");  // visible all along: presence only
  EXPECT_TRUE(busy.changed);
  EXPECT_EQ(busy.seq, 5u);
  auto events = events_from(0, 5);
  expect_numbered_from(1, events);
  EXPECT_EQ(describe(events), (std::vector<std::string>{
                                  "user_status 5 c1 on n1 online",
                                  "user_status 5 c1 off n0 offline",
                                  R"(user_status 5 c1 on n1 away {"note":"later"})",
                                  R"(presence 5 c1 on n1 away {"note":"later"})",
                                  "presence 5 c1 on n1 busy",
                              }));
}

TEST_F(RedisPresenceTest, TheSameStatusTwicePublishesNothing) {
  auto l = link();
  RedisPresence p(*l, 1);
  attach(p, 5);
  PresenceStep same = set_status(p, 5, "online");  // the status a user starts with
  EXPECT_FALSE(same.changed);
  EXPECT_EQ(same.seq, 1u);
  EXPECT_TRUE(set_status(p, 5, "away", R"({"a":1})").changed);
  same = set_status(p, 5, "away", R"({"a":1})");
  EXPECT_FALSE(same.changed);
  EXPECT_EQ(same.seq, 2u);
  EXPECT_TRUE(set_status(p, 5, "away", R"({"a":2})").changed);  // other data: a change
  EXPECT_TRUE(set_status(p, 5, "away").changed);                // no data: a change too
  EXPECT_TRUE(set_status(p, 5, "offline").changed);
  same = set_status(p, 5, "offline");
  EXPECT_FALSE(same.changed);
  EXPECT_EQ(same.seq, 5u);
  EXPECT_EQ(set_status(p, 77, "busy").seq, 5u);  // no connection anywhere: left as they are
  // An unknown status is refused by the script, not stored.
  EXPECT_FALSE(
      ask<PresenceStep>([&](auto done) { p.set_status(UserId{5}, "gone", std::nullopt, done); }));
  await_events(5);
  expect_nothing_published_after(5, p, 6);
  EXPECT_EQ(snapshot(p).users.size(), 2u);  // 77 is not there
}

TEST_F(RedisPresenceTest, TheStatusResetsToOnlineAfterTheLastConnectionCloses) {
  auto la = link(), lb = link();
  RedisPresence a(*la, 1), b(*lb, 2);
  attach(a, 5);
  attach(b, 5);
  set_status(a, 5, "away", R"({"a":1})");
  detach(a, 5);
  detach(b, 5);  // the last: the status goes with it
  EXPECT_TRUE(attach(a, 5).changed);
  set_status(a, 5, "offline");
  detach(a, 5);
  EXPECT_TRUE(attach(a, 5).changed);  // invisible mode does not outlive the user's tabs either
  EXPECT_EQ(describe(events_from(0, 9)), (std::vector<std::string>{
                                             "user_status 5 c1 on n1 online",
                                             "connections 5 c2 on n1 online",
                                             R"(presence 5 c2 on n1 away {"a":1})",
                                             R"(connections 5 c1 on n1 away {"a":1})",
                                             "user_status 5 c0 off n0 online",
                                             "user_status 5 c1 on n1 online",
                                             "user_status 5 c1 off n0 offline",
                                             "connections 5 c0 off n0 online",
                                             "user_status 5 c1 on n1 online",
                                         }));
}

// Redis restarted empty (FLUSHALL here): each node heartbeats (its key is
// gone: 1) and puts its share back with the highest number it has seen,
// and the cluster has what it had, numbered on from there. The same
// rebuild again changes nothing and publishes nothing.
TEST_F(RedisPresenceTest, RebuildingBothSharesAfterRedisLostEverythingRestoresThePresence) {
  auto la = link(), lb = link();
  RedisPresence a(*la, 1), b(*lb, 2);
  attach(a, 1);
  attach(a, 1);
  attach(a, 2);
  attach(b, 2);
  attach(b, 3);
  PresenceSnapshotState before = snapshot(a);
  await_events(5);

  flush_redis();
  EXPECT_TRUE(snapshot(a).users.empty());
  EXPECT_EQ(heartbeat(a), 1);
  EXPECT_EQ(heartbeat(b), 1);
  std::vector<NodeShareEntry> share_a{entry(1, 2), entry(2, 1)};
  std::vector<NodeShareEntry> share_b{entry(2, 1), entry(3, 1)};
  PresenceStep ra = rebuild(a, share_a, 5);
  EXPECT_TRUE(ra.changed);
  EXPECT_EQ(ra.online_count, 2);
  PresenceStep rb = rebuild(b, share_b, 5);
  EXPECT_TRUE(rb.changed);
  EXPECT_EQ(rb.seq, 9u);
  EXPECT_EQ(rb.online_count, 3);
  auto events = events_from(5, 4);
  expect_numbered_from(6, events);
  EXPECT_EQ(describe(events), (std::vector<std::string>{
                                  "user_status 1 c2 on n1 online",
                                  "user_status 2 c1 on n2 online",
                                  "connections 2 c2 on n2 online",
                                  "user_status 3 c1 on n3 online",
                              }));

  PresenceSnapshotState after = snapshot(a);
  EXPECT_EQ(after.seq, 9u);
  auto users = [](const PresenceSnapshotState& s) {
    std::map<std::int64_t, std::string> out;
    for (const auto& u : s.users) {
      out[raw(u.user)] = u.username + " c" + std::to_string(u.connections) + " " + u.status;
    }
    return out;
  };
  EXPECT_EQ(users(after), users(before));
  EXPECT_EQ(reap(a), 0);  // both heartbeated after the flush

  PresenceStep again = rebuild(a, share_a, 5);
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(again.seq, 9u);
  EXPECT_EQ(again.online_count, 3);
  EXPECT_FALSE(rebuild(b, share_b, 5).changed);
  expect_nothing_published_after(9, a, 10);
}

// A share that no longer lists a user takes this node's tabs from them
// (offline if those were their last), and sets the listed counts.
TEST_F(RedisPresenceTest, ARebuildReplacesTheNodesShare) {
  auto la = link(), lb = link();
  RedisPresence a(*la, 1), b(*lb, 2);
  attach(a, 1);
  attach(a, 1);
  attach(a, 2);
  attach(b, 2);
  attach(a, 4);
  await_events(5);
  PresenceStep s = rebuild(a, {entry(1, 1), entry(3, 1)});
  EXPECT_TRUE(s.changed);
  EXPECT_EQ(s.seq, 9u);
  EXPECT_EQ(s.online_count, 3);  // 1, 2 (on b), 3
  auto events = events_from(5, 4);
  expect_numbered_from(6, events);
  EXPECT_EQ(by_user(events), (std::map<std::int64_t, std::string>{
                                 {1, "connections 1 c1 on online"},
                                 {2, "connections 2 c1 on online"},  // still on b
                                 {3, "user_status 3 c1 on online"},
                                 {4, "user_status 4 c0 off online"},
                             }));
}

TEST_F(RedisPresenceTest, ALapsedNodeIsReapedOnceWithAnEventForEachOfItsUsers) {
  auto la = link(), lc = link();
  RedisPresence a(*la, 1, 60'000), c(*lc, 3, 400);
  EXPECT_EQ(heartbeat(a), 1);
  EXPECT_EQ(heartbeat(c), 1);
  EXPECT_EQ(heartbeat(c), 0);  // alive
  attach(c, 10);               // only on c
  attach(c, 11);               // on c and on a
  attach(a, 11);
  attach(c, 11);          // two tabs on c
  EXPECT_EQ(reap(a), 0);  // c is alive
  await_events(4);
  std::this_thread::sleep_for(600ms);  // c's heartbeat lapses
  EXPECT_EQ(reap(a), 1);               // user 10
  EXPECT_EQ(reap(a), 0);               // once
  auto events = events_from(4, 2);
  expect_numbered_from(5, events);
  EXPECT_EQ(by_user(events), (std::map<std::int64_t, std::string>{
                                 {10, "user_status 10 c0 off online"},
                                 {11, "connections 11 c1 on online"},
                             }));
  EXPECT_EQ(events.back().online_count, 1);  // 11 alone, whichever came first
  // User 11 is still online through node a, and leaves with its last tab.
  PresenceStep gone = detach(a, 11);
  EXPECT_TRUE(gone.changed);
  EXPECT_EQ(gone.online_count, 0);
}

// The node's heartbeat is the only thing that keeps it alive: after one, its
// attaches are safe for the TTL; once it lapses, the reaper takes them, and
// the node's next heartbeat answers 1 (it may have been reaped).
TEST_F(RedisPresenceTest, ANodeThatHeartbeatsThenAttachesIsNotReapedWhileItsTtlRuns) {
  auto la = link(), lc = link();
  RedisPresence a(*la, 1), c(*lc, 3, 400);
  EXPECT_EQ(heartbeat(c), 1);  // never set
  EXPECT_EQ(heartbeat(c), 0);  // alive
  attach(c, 10);
  EXPECT_EQ(reap(a), 0);
  ASSERT_EQ(snapshot(a).users.size(), 1u);
  std::this_thread::sleep_for(600ms);  // and no heartbeat comes
  EXPECT_EQ(reap(a), 1);
  EXPECT_TRUE(snapshot(a).users.empty());
  EXPECT_EQ(heartbeat(c), 1);  // lapsed: c rebuilds its share
  EXPECT_EQ(heartbeat(c), 0);
}

// Neither an attach nor a rebuild renews the node's key, so they cannot hide
// from its next heartbeat that it lapsed. A node reaped and then attaching
// before that heartbeat is still where the snapshot and the reaper look (its
// attach is reaped too: it is not alive), and its heartbeat answers 1, so it
// puts its whole share back.
TEST_F(RedisPresenceTest, OnlyAHeartbeatKeepsANodeAliveAndALapseIsNeverHidden) {
  auto la = link(), lc = link();
  RedisPresence a(*la, 1, 60'000), c(*lc, 3, 600);
  EXPECT_EQ(heartbeat(a), 1);
  EXPECT_EQ(heartbeat(c), 1);
  attach(c, 10);
  std::this_thread::sleep_for(350ms);
  attach(c, 11);
  rebuild(c, {entry(10, 1), entry(11, 1)});
  std::this_thread::sleep_for(400ms);  // 750 ms since c's heartbeat
  EXPECT_EQ(reap(a), 2);
  EXPECT_TRUE(snapshot(a).users.empty());

  attach(c, 12);  // c does not know yet
  ASSERT_EQ(snapshot(a).users.size(), 1u);
  EXPECT_EQ(reap(a), 1);
  EXPECT_EQ(heartbeat(c), 1);
  PresenceStep back = rebuild(c, {entry(10, 1), entry(11, 1), entry(12, 1)});
  EXPECT_TRUE(back.changed);
  EXPECT_EQ(back.online_count, 3);
  EXPECT_EQ(reap(a), 0);
  EXPECT_EQ(snapshot(a).users.size(), 3u);
  EXPECT_EQ(heartbeat(c), 0);
}

// A Redis that restarted empty starts its number at 0; the rebuild's floor
// (the highest number the node has seen) sets where it goes on, so no
// mirror takes a new event for one it already had. A floor below the number
// Redis holds leaves it alone; a floor with nothing to publish still holds
// for the next event.
TEST_F(RedisPresenceTest, ARebuildAfterRedisLostEverythingNumbersAboveTheFloor) {
  auto l = link();
  RedisPresence p(*l, 1);
  EXPECT_EQ(heartbeat(p), 1);
  attach(p, 1);
  attach(p, 2);
  await_events(2);
  flush_redis();
  EXPECT_EQ(heartbeat(p), 1);
  PresenceStep s = rebuild(p, {entry(1, 1), entry(2, 1)}, 41);
  EXPECT_TRUE(s.changed);
  EXPECT_EQ(s.seq, 43u);
  auto events = events_from(2, 2);
  expect_numbered_from(42, events);
  EXPECT_EQ(by_user(events), (std::map<std::int64_t, std::string>{
                                 {1, "user_status 1 c1 on online"},
                                 {2, "user_status 2 c1 on online"},
                             }));
  EXPECT_EQ(rebuild(p, {entry(1, 1), entry(2, 1)}, 7).seq, 43u);

  flush_redis();
  EXPECT_EQ(heartbeat(p), 1);
  PresenceStep empty = rebuild(p, {}, 60);
  EXPECT_FALSE(empty.changed);
  EXPECT_EQ(empty.seq, 60u);
  expect_nothing_published_after(4, p, 61);
}

// An invisible user's share entry, rebuilt into an empty Redis, keeps them
// invisible: counted, never announced or counted online. An `away` entry
// comes back away (user_status, then presence, as when leaving invisible
// mode). The other node's share knows no status for its user: online.
TEST_F(RedisPresenceTest, AnInvisibleUserRebuiltAfterRedisLostEverythingStaysInvisible) {
  auto la = link(), lb = link();
  RedisPresence a(*la, 1), b(*lb, 2);
  heartbeat(a);
  heartbeat(b);
  attach(a, 5);
  set_status(a, 5, "offline");
  attach(a, 6);
  set_status(a, 6, "away", R"({"m":1})");
  attach(b, 7);
  await_events(5);
  flush_redis();
  EXPECT_EQ(heartbeat(a), 1);
  EXPECT_EQ(heartbeat(b), 1);

  PresenceStep ra = rebuild(a, {entry(5, 1, "offline"), entry(6, 1, "away", R"({"m":1})")}, 5);
  EXPECT_TRUE(ra.changed);
  EXPECT_EQ(ra.seq, 8u);
  EXPECT_EQ(ra.online_count, 1);  // 6 alone
  PresenceStep rb = rebuild(b, {entry(7, 1)}, 5);
  EXPECT_EQ(rb.seq, 9u);
  EXPECT_EQ(rb.online_count, 2);
  auto events = events_from(5, 4);
  expect_numbered_from(6, events);
  EXPECT_EQ(describe(events), (std::vector<std::string>{
                                  "connections 5 c1 off n0 offline",
                                  R"(user_status 6 c1 on n1 away {"m":1})",
                                  R"(presence 6 c1 on n1 away {"m":1})",
                                  "user_status 7 c1 on n2 online",
                              }));
  for (const auto& e : events) {
    if (raw(e.user) == 5) {
      EXPECT_FALSE(e.online) << describe(e);
    }
  }

  PresenceSnapshotState state = snapshot(a);
  EXPECT_EQ(state.seq, 9u);
  std::map<std::int64_t, PresenceUserState> users;
  for (const auto& u : state.users) users[raw(u.user)] = u;
  ASSERT_EQ(users.size(), 3u);
  EXPECT_EQ(users[5].status, "offline");
  EXPECT_EQ(users[5].connections, 1);
  EXPECT_FALSE(users[5].visible());
  EXPECT_EQ(users[6].status, "away");
  EXPECT_EQ(users[6].data, R"({"m":1})");
  EXPECT_EQ(users[7].status, "online");

  // Leaving invisible mode is when 5 is announced.
  PresenceStep shown = set_status(a, 5, "online");
  EXPECT_TRUE(shown.changed);
  EXPECT_EQ(shown.online_count, 3);
}

// A status comes back from a share only where Redis holds none: a user
// already online through another node's share gets it as a presence event
// (no user_status: they did not come online). A status Redis holds wins over
// the share's copy. A share with an unknown status is refused whole: nothing
// written, not even the floor.
TEST_F(RedisPresenceTest, ARebuildRestoresAStatusOnlyWhereRedisHasNone) {
  auto la = link(), lb = link();
  RedisPresence a(*la, 1), b(*lb, 2);
  heartbeat(a);
  heartbeat(b);
  attach(a, 5);
  attach(b, 5);
  set_status(a, 5, "away", R"({"a":1})");
  attach(a, 6);
  set_status(a, 6, "busy");
  await_events(5);
  flush_redis();
  heartbeat(a);
  heartbeat(b);

  rebuild(b, {entry(5, 1)}, 5);  // b never set 5's status
  const std::vector<NodeShareEntry> share_a{entry(5, 1, "away", R"({"a":1})"), entry(6, 1, "busy")};
  PresenceStep ra = rebuild(a, share_a, 6);
  EXPECT_TRUE(ra.changed);
  EXPECT_EQ(ra.seq, 9u);
  EXPECT_EQ(ra.online_count, 2);
  auto events = events_from(5, 4);
  expect_numbered_from(6, events);
  EXPECT_EQ(describe(events), (std::vector<std::string>{
                                  "user_status 5 c1 on n1 online",
                                  R"(presence 5 c2 on n1 away {"a":1})",
                                  "user_status 6 c1 on n2 busy",
                                  "presence 6 c1 on n2 busy",
                              }));

  set_status(b, 5, "online");  // newer than a's copy
  await_events(10);
  PresenceStep again = rebuild(a, share_a, 9);
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(again.seq, 10u);

  EXPECT_FALSE(ask<PresenceStep>([&](auto done) {
    a.rebuild_share({entry(5, 3, "gone"), entry(8, 1)}, 500, done);
  }));
  expect_nothing_published_after(10, a, 11);
  std::map<std::int64_t, std::string> users;
  for (const auto& u : snapshot(a).users) {
    users[raw(u.user)] = u.status + " c" + std::to_string(u.connections);
  }
  EXPECT_EQ(users, (std::map<std::int64_t, std::string>{
                       {5, "online c2"}, {6, "busy c1"}, {999, "online c1"}}));
}

TEST_F(RedisPresenceTest, EventsCarryTheNameGivenAtAttachWhateverItHolds) {
  auto l = link();
  RedisPresence p(*l, 1);
  const std::string name = "o'brien \"the\" \\ \u2603 \U0001F600";
  must(ask<PresenceStep>([&](auto done) { p.attach(UserId{9}, name, done); }));
  detach(p, 9);
  auto events = events_from(0, 2);
  EXPECT_EQ(events[0].username, name);
  EXPECT_TRUE(events[0].online);
  EXPECT_EQ(events[1].username, name);  // offline: the name remembered at the attach
  EXPECT_FALSE(events[1].online);
  ASSERT_EQ(snapshot(p).users.size(), 0u);
}

TEST_F(RedisPresenceTest, ASnapshotIsEveryUserWithAConnectionAtOneNumber) {
  auto la = link(), lb = link();
  RedisPresence a(*la, 1), b(*lb, 2);
  for (std::int64_t u : {3, 4, 5}) attach(a, u);
  attach(b, 5);
  detach(a, 4);
  set_status(b, 5, "away", R"({"x":"y"})");
  set_status(a, 3, "offline");
  PresenceSnapshotState state = snapshot(a);
  EXPECT_EQ(state.seq, 7u);
  std::map<std::int64_t, PresenceUserState> users;
  for (const auto& u : state.users) users[raw(u.user)] = u;
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[3].connections, 1);
  EXPECT_EQ(users[3].status, "offline");  // invisible, but there
  EXPECT_FALSE(users[3].visible());
  EXPECT_EQ(users[5].connections, 2);
  EXPECT_EQ(users[5].status, "away");
  EXPECT_EQ(users[5].data, R"({"x":"y"})");
  EXPECT_EQ(users[5].username, name_of(5));
  EXPECT_TRUE(users[5].visible());
}

// Three nodes, 40 users, 900 random attaches, detaches and status changes
// issued without waiting (so Redis interleaves the nodes' scripts). The
// stream's numbers are 1..N without a gap; replaying it gives, at each
// number, the count the event carries; only user_status events flip a
// user's visibility, and each does; every reply's snapshot (seq, count)
// agrees with the replay at that seq; a mirror fed the stream ends where
// the final snapshot is, and the connections are the tabs opened minus
// those closed.
TEST_F(RedisPresenceTest, ManyNodesOneGaplessStreamThatAgreesWithEverySnapshot) {
  std::vector<std::unique_ptr<RedisLink>> links;
  std::vector<std::unique_ptr<RedisPresence>> nodes;
  for (NodeId n = 1; n <= 3; ++n) {
    links.push_back(link());
    nodes.push_back(std::make_unique<RedisPresence>(*links.back(), n));
  }
  const std::vector<std::string> statuses{"online", "away", "busy", "offline"};
  const std::vector<std::optional<std::string>> datas{std::nullopt, R"({"m":1})", R"({"m":2})"};
  std::mt19937 random(12345);
  std::map<std::pair<int, std::int64_t>, int> open;  // (node, user) -> tabs, as issued
  std::vector<PresenceStep> replies;
  int pending = 0;
  auto done = [&](std::optional<PresenceStep> s) {
    --pending;
    ASSERT_TRUE(s);
    replies.push_back(*s);
  };
  for (int i = 0; i < 900; ++i) {
    int node = static_cast<int>(random() % 3);
    std::int64_t user = 1 + static_cast<std::int64_t>(random() % 40);
    ++pending;
    if (random() % 3 == 0) {
      nodes[node]->set_status(UserId{user}, statuses[random() % statuses.size()],
                              datas[random() % datas.size()], done);
      continue;
    }
    bool attach = open[{node, user}] == 0 || random() % 2 == 0;
    open[{node, user}] += attach ? 1 : -1;
    if (attach) {
      nodes[node]->attach(UserId{user}, name_of(user), done);
    } else {
      nodes[node]->detach(UserId{user}, done);
    }
  }
  ASSERT_TRUE(run_until([&] { return pending == 0; }, 20s));
  std::uint64_t last = 0;
  for (const auto& r : replies) last = std::max(last, r.seq);
  await_events(last);
  ASSERT_EQ(events_.size(), last);

  PresenceMirror mirror(events_.size());
  std::set<std::int64_t> online;
  std::map<std::uint64_t, std::int64_t> count_at{{0, 0}};
  for (std::size_t i = 0; i < events_.size(); ++i) {
    const PresenceEvent& e = events_[i];
    ASSERT_EQ(e.seq, i + 1) << "a gap or a repeat in the stream";
    bool was_online = online.contains(raw(e.user));
    if (e.kind == PresenceEventKind::user_status) {
      EXPECT_NE(was_online, e.online) << "a user_status that flips nothing: " << describe(e);
    } else {
      EXPECT_EQ(was_online, e.online) << "a flip that is no user_status: " << describe(e);
    }
    if (e.online) {
      online.insert(raw(e.user));
    } else {
      online.erase(raw(e.user));
    }
    EXPECT_EQ(e.online_count, static_cast<std::int64_t>(online.size()));
    count_at[e.seq] = e.online_count;
    EXPECT_EQ(mirror.apply(e), PresenceMirror::Applied::applied);
  }
  for (const auto& r : replies)
    EXPECT_EQ(r.online_count, count_at[r.seq]) << "snapshot at " << r.seq;

  PresenceSnapshotState state = snapshot(*nodes[0]);
  EXPECT_EQ(state.seq, last);
  EXPECT_EQ(mirror.seq(), state.seq);
  std::map<std::int64_t, int> tabs;
  for (const auto& [key, n] : open) {
    if (n > 0) tabs[key.second] += n;
  }
  std::map<std::int64_t, int> conns;
  std::vector<std::int64_t> visible;
  for (const auto& u : state.users) {
    conns[raw(u.user)] = u.connections;
    if (u.visible()) visible.push_back(raw(u.user));
    auto m = mirror.user(u.user);
    ASSERT_TRUE(m) << raw(u.user);
    EXPECT_EQ(m->username, u.username);
    EXPECT_EQ(m->connections, u.connections);
    EXPECT_EQ(m->status, u.status);
    EXPECT_EQ(m->data, u.data);
  }
  EXPECT_EQ(conns, tabs);
  for (std::int64_t id = 1; id <= 40; ++id) {
    EXPECT_EQ(mirror.user(UserId{id}).has_value(), conns.contains(id)) << id;
  }
  std::sort(visible.begin(), visible.end());
  std::vector<std::int64_t> mirror_online;
  for (const auto& u : mirror.online_users()) mirror_online.push_back(raw(u.user));
  EXPECT_EQ(mirror_online, visible);
  EXPECT_EQ(std::set<std::int64_t>(visible.begin(), visible.end()), online);
  EXPECT_EQ(mirror.online_count(), static_cast<std::int64_t>(visible.size()));
  EXPECT_LT(visible.size(), tabs.size()) << "the walk left nobody invisible: a weak test";
}

TEST(PresenceEvent, ParsesTheScriptsJsonAndRefusesOtherShapes) {
  auto e = parse_presence_event(
      R"({"seq":7,"kind":"presence","user":"12","name":"bob","conns":2,"online":true,"count":3,)"
      R"("status":"away","data":"{\"m\":1}"})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->seq, 7u);
  EXPECT_EQ(e->kind, PresenceEventKind::presence);
  EXPECT_EQ(raw(e->user), 12);
  EXPECT_EQ(e->username, "bob");
  EXPECT_EQ(e->connections, 2);
  EXPECT_TRUE(e->online);
  EXPECT_EQ(e->online_count, 3);
  EXPECT_EQ(e->status, "away");
  EXPECT_EQ(e->data, R"({"m":1})");

  // No data, or null; numbers beyond 1e14, which cjson may print as doubles.
  e = parse_presence_event(
      R"({"seq":1e+14,"kind":"user_status","user":"9007199254740993","name":"","conns":0,)"
      R"("online":false,"count":2.0,"status":"online"})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->seq, 100'000'000'000'000u);
  EXPECT_EQ(e->kind, PresenceEventKind::user_status);
  EXPECT_EQ(raw(e->user), 9007199254740993);
  EXPECT_EQ(e->online_count, 2);
  EXPECT_FALSE(e->data);
  e = parse_presence_event(
      R"({"seq":2,"kind":"connections","user":"1","name":"a","conns":1,"online":false,"count":0,)"
      R"("status":"offline","data":null})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, PresenceEventKind::connections);
  EXPECT_FALSE(e->data);

  const std::string good_tail = R"("name":"b","conns":1,"online":true,"count":3,"status":"online")";
  auto with = [&](const std::string& head) { return "{" + head + "," + good_tail + "}"; };
  ASSERT_TRUE(parse_presence_event(with(R"("seq":7,"kind":"connections","user":"1")")));
  const std::vector<std::string> bad_payloads{
      "",
      "[]",
      R"({"seq":7,"user":"1","name":"b","online":false,"count":3})",  // the old shape
      with(R"("seq":7,"kind":"connections","user":1)"),               // the id as a number
      with(R"("seq":7,"kind":"connections","user":"x")"),             // not an id
      with(R"("seq":7,"kind":"joined","user":"1")"),                  // no such kind
      with(R"("seq":7.5,"kind":"connections","user":"1")"),           // not an integer
      with(R"("seq":0,"kind":"connections","user":"1")"),             // numbers start at 1
      with(R"("seq":"7","kind":"connections","user":"1")"),           // a string
      with(R"("seq":7,"kind":"connections","user":"1","x":1)"),       // an unknown field
      with(R"("seq":7,"kind":"connections","user":"1","data":{})"),   // data not as text
      with(R"("kind":"connections","user":"1")"),                     // no number
      R"({"seq":7,"kind":"connections","user":"1","name":"b","conns":1,"online":true,"count":3,)"
      R"("status":"gone"})",  // no such status
      R"({"seq":7,"kind":"connections","user":"1","name":"b","conns":0,"online":true,"count":3,)"
      R"("status":"online"})",  // online with no connection
      R"({"seq":7,"kind":"connections","user":"1","name":"b","conns":1,"online":true,"count":3,)"
      R"("status":"offline"})",  // online while invisible
      R"({"seq":7,"kind":"connections","user":"1","name":"b","conns":-1,"online":false,"count":3,)"
      R"("status":"online"})",  // negative connections
  };
  for (const std::string& bad : bad_payloads) {
    EXPECT_FALSE(parse_presence_event(bad)) << bad;
  }
}

}  // namespace
}  // namespace herald::cluster
