#include "realtime/presence_registry.hpp"

#include <gtest/gtest.h>

using herald::UserId;
using herald::protocol::PresenceStatus;
using herald::realtime::PresenceRegistry;

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
  EXPECT_EQ(r.workers_of(UserId{1}), 0b11u);
  EXPECT_FALSE(r.detach(UserId{1}, 0).last_connection);
  EXPECT_EQ(r.workers_of(UserId{1}), 0b10u);
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
