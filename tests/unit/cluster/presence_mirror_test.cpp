// PresenceMirror: the stream applied in order gives each user's whole
// state (connections, status, data), the visible online set and its count,
// whatever the kinds of the events; a user leaves with their last
// connection; invisible users are known but not online; repeats are
// ignored and a skipped number is reported, not applied; since() hands
// back exactly the events after a snapshot while the ring holds them and
// refuses once it does not; reset() starts over from a rebuilt state;
// online_users() pages through the visible users in id order.
#include "cluster/presence_mirror.hpp"

#include <gtest/gtest.h>

namespace herald::cluster {
namespace {

// An event with the state a user has after it; `count` is what Redis would
// say, which the mirror does not need (it counts for itself).
PresenceEvent ev(std::uint64_t seq, std::int64_t user, int conns, std::string status = "online",
                 std::optional<std::string> data = std::nullopt,
                 PresenceEventKind kind = PresenceEventKind::connections, std::int64_t count = 0) {
  PresenceEvent e;
  e.seq = seq;
  e.kind = kind;
  e.user = UserId{user};
  e.username = "u" + std::to_string(user);
  e.connections = conns;
  e.status = std::move(status);
  e.online = conns > 0 && e.status != "offline";
  e.online_count = count;
  e.data = std::move(data);
  return e;
}

PresenceUserState state(std::int64_t user, int conns, std::string status = "online",
                        std::optional<std::string> data = std::nullopt) {
  return PresenceUserState{UserId{user}, "u" + std::to_string(user), conns, std::move(status),
                           std::move(data)};
}

std::vector<std::uint64_t> seqs(const std::vector<PresenceEvent>& events) {
  std::vector<std::uint64_t> out;
  for (const auto& e : events) out.push_back(e.seq);
  return out;
}

std::vector<std::int64_t> ids(const std::vector<PresenceUserState>& users) {
  std::vector<std::int64_t> out;
  for (const auto& u : users) out.push_back(raw(u.user));
  return out;
}

TEST(PresenceMirror, AppliesTheStreamInOrder) {
  PresenceMirror m;
  EXPECT_EQ(m.apply(ev(1, 7, 1, "online", {}, PresenceEventKind::user_status)),
            PresenceMirror::Applied::applied);
  EXPECT_EQ(m.apply(ev(2, 8, 1, "online", {}, PresenceEventKind::user_status)),
            PresenceMirror::Applied::applied);
  EXPECT_EQ(m.apply(ev(3, 8, 2)), PresenceMirror::Applied::applied);  // a second tab
  EXPECT_EQ(m.apply(ev(4, 7, 0, "online", {}, PresenceEventKind::user_status)),
            PresenceMirror::Applied::applied);
  EXPECT_EQ(m.seq(), 4u);
  EXPECT_EQ(m.online_count(), 1);
  EXPECT_FALSE(m.is_online(UserId{7}));
  EXPECT_FALSE(m.user(UserId{7}));  // gone with their last connection
  EXPECT_TRUE(m.is_online(UserId{8}));
  ASSERT_TRUE(m.user(UserId{8}));
  EXPECT_EQ(m.user(UserId{8})->connections, 2);
  EXPECT_EQ(m.user(UserId{8})->username, "u8");
}

TEST(PresenceMirror, EachEventReplacesTheUsersWholeState) {
  PresenceMirror m;
  m.apply(ev(1, 7, 1, "online", {}, PresenceEventKind::user_status));
  m.apply(ev(2, 7, 1, "away", R"({"m":"lunch"})", PresenceEventKind::presence));
  auto u = m.user(UserId{7});
  ASSERT_TRUE(u);
  EXPECT_EQ(u->status, "away");
  EXPECT_EQ(u->data, R"({"m":"lunch"})");
  m.apply(ev(3, 7, 2, "away", R"({"m":"lunch"})"));  // a tab more, same status
  EXPECT_EQ(m.user(UserId{7})->connections, 2);
  m.apply(ev(4, 7, 2, "busy", std::nullopt, PresenceEventKind::presence));
  EXPECT_EQ(m.user(UserId{7})->status, "busy");
  EXPECT_FALSE(m.user(UserId{7})->data);
  EXPECT_EQ(m.online_count(), 1);  // a status change is not a second user
}

TEST(PresenceMirror, AnInvisibleUserIsKnownButNotOnline) {
  PresenceMirror m;
  m.apply(ev(1, 7, 1, "online", {}, PresenceEventKind::user_status));
  m.apply(ev(2, 7, 1, "offline", {}, PresenceEventKind::user_status));  // invisible mode
  m.apply(ev(3, 7, 2, "offline"));                                      // another tab, invisible
  EXPECT_FALSE(m.is_online(UserId{7}));
  EXPECT_EQ(m.online_count(), 0);
  EXPECT_TRUE(m.online_users().empty());
  auto u = m.user(UserId{7});
  ASSERT_TRUE(u);
  EXPECT_EQ(u->connections, 2);
  EXPECT_EQ(u->status, "offline");
  m.apply(ev(4, 7, 2, "away", {}, PresenceEventKind::user_status));  // back, visible
  EXPECT_TRUE(m.is_online(UserId{7}));
  EXPECT_EQ(m.online_count(), 1);
  m.apply(ev(5, 7, 0, "online"));  // an invisible user's last tab closing is not an offline
  EXPECT_EQ(m.online_count(), 0);
  EXPECT_FALSE(m.user(UserId{7}));
}

TEST(PresenceMirror, ARepeatIsIgnoredAndAGapIsReportedNotApplied) {
  PresenceMirror m;
  m.apply(ev(1, 7, 1));
  EXPECT_EQ(m.apply(ev(1, 7, 1)), PresenceMirror::Applied::already_had);
  EXPECT_EQ(m.apply(ev(1, 7, 0)), PresenceMirror::Applied::already_had);  // ignored, not applied
  EXPECT_TRUE(m.is_online(UserId{7}));
  EXPECT_EQ(m.apply(ev(3, 9, 1)), PresenceMirror::Applied::gap);
  EXPECT_EQ(m.seq(), 1u);
  EXPECT_FALSE(m.is_online(UserId{9}));
  EXPECT_FALSE(m.user(UserId{9}));
  EXPECT_EQ(m.online_count(), 1);
  EXPECT_EQ(seqs(*m.since(0)), (std::vector<std::uint64_t>{1}));  // neither entered the ring
}

TEST(PresenceMirror, SinceGivesExactlyWhatFollowedASnapshotWhileTheRingHoldsIt) {
  PresenceMirror m(4);
  for (std::uint64_t s = 1; s <= 6; ++s) m.apply(ev(s, static_cast<std::int64_t>(s), 1));
  // The ring holds 3..6.
  EXPECT_EQ(seqs(*m.since(2)), (std::vector<std::uint64_t>{3, 4, 5, 6}));
  EXPECT_EQ(seqs(*m.since(4)), (std::vector<std::uint64_t>{5, 6}));
  EXPECT_TRUE(m.since(6)->empty());
  EXPECT_FALSE(m.since(1));  // 2 has left the ring
  EXPECT_FALSE(m.since(0));
  EXPECT_EQ(m.online_count(), 6);  // the ring's bound is not the state's
}

TEST(PresenceMirror, ResetStartsOverFromARebuiltState) {
  PresenceMirror m;
  m.apply(ev(1, 7, 1));
  m.reset(PresenceSnapshotState{
      40, {state(1, 2), state(2, 1, "busy", R"({"a":1})"), state(3, 1, "offline")}});
  EXPECT_EQ(m.seq(), 40u);
  EXPECT_EQ(m.online_count(), 2);  // 3 is invisible
  EXPECT_FALSE(m.is_online(UserId{7}));
  EXPECT_FALSE(m.user(UserId{7}));
  EXPECT_TRUE(m.is_online(UserId{2}));
  EXPECT_EQ(m.user(UserId{2})->data, R"({"a":1})");
  EXPECT_EQ(m.user(UserId{1})->connections, 2);
  ASSERT_TRUE(m.user(UserId{3}));
  EXPECT_FALSE(m.is_online(UserId{3}));
  EXPECT_EQ(m.apply(ev(40, 4, 1)), PresenceMirror::Applied::already_had);
  EXPECT_EQ(m.apply(ev(41, 4, 1)), PresenceMirror::Applied::applied);
  EXPECT_EQ(m.online_count(), 3);
  EXPECT_EQ(seqs(*m.since(40)), (std::vector<std::uint64_t>{41}));
  EXPECT_FALSE(m.since(39));  // before the rebuild: unknown
}

TEST(PresenceMirror, OnlineUsersArePagesOfTheVisibleUsersInIdOrder) {
  PresenceMirror m;
  std::uint64_t seq = 0;
  for (std::int64_t id : {50, 3, 40, 10, 20, 30}) m.apply(ev(++seq, id, 1));
  m.apply(ev(++seq, 20, 1, "offline"));  // invisible: not listed
  m.apply(ev(++seq, 30, 2, "away"));
  EXPECT_EQ(ids(m.online_users()), (std::vector<std::int64_t>{3, 10, 30, 40, 50}));
  EXPECT_EQ(ids(m.online_users(0, 2)), (std::vector<std::int64_t>{3, 10}));
  EXPECT_EQ(ids(m.online_users(2, 2)), (std::vector<std::int64_t>{30, 40}));
  EXPECT_EQ(ids(m.online_users(4, 2)), (std::vector<std::int64_t>{50}));
  EXPECT_TRUE(m.online_users(5, 2).empty());
  EXPECT_TRUE(m.online_users(0, 0).empty());
  auto page = m.online_users(2, 1);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].status, "away");
  EXPECT_EQ(page[0].connections, 2);
  EXPECT_EQ(m.online_count(), 5);
}

}  // namespace
}  // namespace herald::cluster
