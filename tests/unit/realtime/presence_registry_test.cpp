#include "realtime/presence_registry.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

using herald::UserId;
using herald::protocol::PresenceStatus;
using herald::realtime::PresenceRegistry;
using herald::realtime::WorkerList;

TEST(PresenceRegistry, FirstAndLastConnectionAreReported) {
  PresenceRegistry r;
  auto a = r.attach(UserId{1}, 0, 10);
  EXPECT_TRUE(a.accepted);
  EXPECT_TRUE(a.became_online);
  auto b = r.attach(UserId{1}, 1, 10);
  EXPECT_TRUE(b.accepted);
  EXPECT_FALSE(b.became_online);
  EXPECT_EQ(r.online_count(), 1);
  EXPECT_EQ(r.user_connections_count(UserId{1}), 2);
  EXPECT_EQ(r.workers_of(UserId{1}), (WorkerList{0, 1}));
  EXPECT_FALSE(r.detach(UserId{1}, 0).last_connection);
  EXPECT_EQ(r.workers_of(UserId{1}), (WorkerList{1}));
  auto last = r.detach(UserId{1}, 1);
  EXPECT_TRUE(last.last_connection);
  EXPECT_TRUE(last.was_visible);
  EXPECT_EQ(r.online_count(), 0);
  EXPECT_FALSE(r.is_user_online(UserId{1}));
}

TEST(PresenceRegistry, ConnectionCapRefusesTheExtraConnection) {
  PresenceRegistry r;
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(r.attach(UserId{7}, 0, 10).accepted);
  EXPECT_FALSE(r.attach(UserId{7}, 0, 10).accepted);
  EXPECT_EQ(r.connection_count(), 10);
}

TEST(PresenceRegistry, InvisibleModeHidesTheUser) {
  PresenceRegistry r;
  r.attach(UserId{1}, 0, 10);
  r.attach(UserId{2}, 0, 10);
  auto hide = r.set_status(UserId{1}, PresenceStatus::offline, std::nullopt);
  EXPECT_TRUE(hide.became_invisible);
  EXPECT_EQ(r.online_count(), 1);
  EXPECT_EQ(r.user_connections_count(UserId{1}), 0);
  EXPECT_EQ(r.online_users().size(), 1u);
  auto d = r.detach(UserId{1}, 0);
  EXPECT_TRUE(d.last_connection);
  EXPECT_FALSE(d.was_visible);  // an invisible user's disconnect announces nothing
  EXPECT_EQ(r.online_count(), 1);
}

TEST(PresenceRegistry, LeavingInvisibleModeAnnouncesOnline) {
  PresenceRegistry r;
  r.attach(UserId{1}, 0, 10);
  r.set_status(UserId{1}, PresenceStatus::offline, std::nullopt);
  auto back = r.set_status(UserId{1}, PresenceStatus::away, std::string(R"({"device":"mobile"})"));
  EXPECT_TRUE(back.became_visible);
  EXPECT_TRUE(back.visible_now);
  EXPECT_EQ(r.presence_of(UserId{1})->status, PresenceStatus::away);
  EXPECT_EQ(r.online_count(), 1);
}

TEST(PresenceRegistry, OnlineUsersAreOrderedAndPaged) {
  PresenceRegistry r;
  for (int id : {5, 3, 9, 1}) r.attach(UserId{id}, 0, 10);
  auto page = r.online_users(1, 2);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(herald::raw(page[0].user), 3);
  EXPECT_EQ(herald::raw(page[1].user), 5);
  EXPECT_TRUE(r.online_users(10, 5).empty());
}

// The issue that found it: 64 worker slots wrapped worker 64 onto worker 0,
// so a chat to a user there was acknowledged and never delivered.
TEST(PresenceRegistry, WorkersBeyondSixtyFourAreTheirOwn) {
  PresenceRegistry r;
  r.attach(UserId{1}, 65, 10);
  r.attach(UserId{1}, 1, 10);
  r.attach(UserId{1}, 1000, 10);
  EXPECT_EQ(r.workers_of(UserId{1}), (WorkerList{65, 1, 1000}));
  r.detach(UserId{1}, 65);
  EXPECT_EQ(r.workers_of(UserId{1}), (WorkerList{1, 1000}));
  r.attach(UserId{1}, 64, 10);
  EXPECT_EQ(r.workers_of(UserId{1}), (WorkerList{1, 1000, 64}));
}

TEST(PresenceRegistry, EveryAnnouncedChangeTakesTheNextNumber) {
  PresenceRegistry r;
  auto a = r.attach(UserId{1}, 0, 10);
  EXPECT_EQ(a.seq, 1u);
  EXPECT_EQ(r.attach(UserId{1}, 1, 10).seq, 0u);  // a second tab announces nothing
  EXPECT_EQ(r.attach(UserId{2}, 0, 10).seq, 2u);
  auto away = r.set_status(UserId{1}, PresenceStatus::away, std::nullopt);
  EXPECT_EQ(away.status_seq, 0u);
  EXPECT_EQ(away.presence_seq, 3u);
  auto hide = r.set_status(UserId{1}, PresenceStatus::offline, std::nullopt);
  EXPECT_EQ(hide.status_seq, 4u);
  EXPECT_EQ(hide.presence_seq, 0u);
  EXPECT_EQ(r.set_status(UserId{1}, PresenceStatus::offline, std::nullopt).status_seq, 0u);
  auto back = r.set_status(UserId{1}, PresenceStatus::busy, std::nullopt);
  EXPECT_EQ(back.status_seq, 5u);    // user_status online first,
  EXPECT_EQ(back.presence_seq, 6u);  // then the presence event
  EXPECT_EQ(r.detach(UserId{2}, 0).seq, 7u);
  EXPECT_EQ(r.detach(UserId{1}, 0).seq, 0u);  // tab 2 is still open
  EXPECT_EQ(r.detach(UserId{1}, 1).seq, 8u);
}

TEST(PresenceRegistry, SnapshotCountsExactlyTheNumberedChanges) {
  PresenceRegistry r;
  EXPECT_EQ(r.snapshot().seq, 0u);
  r.attach(UserId{1}, 0, 10);
  r.attach(UserId{2}, 0, 10);
  r.set_status(UserId{2}, PresenceStatus::offline, std::nullopt);
  auto s = r.snapshot();
  EXPECT_EQ(s.online_count, 1);
  EXPECT_EQ(s.seq, 3u);
  EXPECT_EQ(r.online_count(), 1);
}

// Many threads attaching and detaching: the snapshot's count is always the
// sum of the deltas its numbers stand for, and at the end equals the users
// online.
TEST(PresenceRegistry, ConcurrentChurnKeepsCountAndNumbersTogether) {
  PresenceRegistry r;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&r, t] {
      for (int i = 0; i < 2000; ++i) {
        UserId u{1 + (i * 7 + t) % 50};
        r.attach(u, static_cast<unsigned>(t), 100);
        if (i % 3 != 0) r.detach(u, static_cast<unsigned>(t));
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(r.snapshot().online_count, static_cast<std::int64_t>(r.online_users().size()));
}

// /online reads a cached sorted list: it must still show every change at once.
TEST(PresenceRegistry, TheCachedListingFollowsEveryChange) {
  PresenceRegistry r;
  r.attach(UserId{3}, 0, 10);
  r.attach(UserId{1}, 0, 10);
  ASSERT_EQ(r.online_users().size(), 2u);
  EXPECT_EQ(r.online_users()[0].connections, 1);
  r.attach(UserId{1}, 1, 10);  // a second tab: same users, new count
  EXPECT_EQ(r.online_users()[0].connections, 2);
  r.set_status(UserId{3}, PresenceStatus::busy, std::nullopt);
  EXPECT_EQ(r.online_users()[1].status, PresenceStatus::busy);
  r.set_status(UserId{3}, PresenceStatus::offline, std::nullopt);  // invisible: not listed
  EXPECT_EQ(r.online_users().size(), 1u);
  r.detach(UserId{1}, 0);
  r.detach(UserId{1}, 1);
  EXPECT_TRUE(r.online_users().empty());
}
