// PresenceMirror: the stream applied in order gives the online set and
// count; repeats are ignored and a skipped number is reported, not
// applied; since() hands back exactly the events after a snapshot while
// the ring holds them and refuses once it does not; reset() starts over
// from a rebuilt state.
#include "cluster/presence_mirror.hpp"

#include <gtest/gtest.h>

namespace herald::cluster {
namespace {

PresenceEvent ev(std::uint64_t seq, std::int64_t user, bool online, std::int64_t count) {
  return PresenceEvent{seq, UserId{user}, online, count, "u" + std::to_string(user)};
}

std::vector<std::uint64_t> seqs(const std::vector<PresenceEvent>& events) {
  std::vector<std::uint64_t> out;
  for (const auto& e : events) out.push_back(e.seq);
  return out;
}

TEST(PresenceMirror, AppliesTheStreamInOrder) {
  PresenceMirror m;
  EXPECT_EQ(m.apply(ev(1, 7, true, 1)), PresenceMirror::Applied::applied);
  EXPECT_EQ(m.apply(ev(2, 8, true, 2)), PresenceMirror::Applied::applied);
  EXPECT_EQ(m.apply(ev(3, 7, false, 1)), PresenceMirror::Applied::applied);
  EXPECT_EQ(m.seq(), 3u);
  EXPECT_EQ(m.online_count(), 1);
  EXPECT_FALSE(m.is_online(UserId{7}));
  EXPECT_TRUE(m.is_online(UserId{8}));
}

TEST(PresenceMirror, ARepeatIsIgnoredAndAGapIsReportedNotApplied) {
  PresenceMirror m;
  m.apply(ev(1, 7, true, 1));
  EXPECT_EQ(m.apply(ev(1, 7, true, 1)), PresenceMirror::Applied::already_had);
  EXPECT_EQ(m.apply(ev(3, 9, true, 2)), PresenceMirror::Applied::gap);
  EXPECT_EQ(m.seq(), 1u);
  EXPECT_FALSE(m.is_online(UserId{9}));
}

TEST(PresenceMirror, SinceGivesExactlyWhatFollowedASnapshotWhileTheRingHoldsIt) {
  PresenceMirror m(4);
  for (std::uint64_t s = 1; s <= 6; ++s) m.apply(ev(s, static_cast<std::int64_t>(s), true, static_cast<std::int64_t>(s)));
  // The ring holds 3..6.
  EXPECT_EQ(seqs(*m.since(2)), (std::vector<std::uint64_t>{3, 4, 5, 6}));
  EXPECT_EQ(seqs(*m.since(4)), (std::vector<std::uint64_t>{5, 6}));
  EXPECT_TRUE(m.since(6)->empty());
  EXPECT_FALSE(m.since(1));  // 2 has left the ring
  EXPECT_FALSE(m.since(0));
}

TEST(PresenceMirror, ResetStartsOverFromARebuiltState) {
  PresenceMirror m;
  m.apply(ev(1, 7, true, 1));
  m.reset(40, {UserId{1}, UserId{2}});
  EXPECT_EQ(m.seq(), 40u);
  EXPECT_EQ(m.online_count(), 2);
  EXPECT_FALSE(m.is_online(UserId{7}));
  EXPECT_EQ(m.apply(ev(40, 3, true, 3)), PresenceMirror::Applied::already_had);
  EXPECT_EQ(m.apply(ev(41, 3, true, 3)), PresenceMirror::Applied::applied);
  EXPECT_EQ(seqs(*m.since(40)), (std::vector<std::uint64_t>{41}));
  EXPECT_FALSE(m.since(39));  // before the rebuild: unknown
}

}  // namespace
}  // namespace herald::cluster
