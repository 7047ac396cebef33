// The writer's idempotency keys for chats still in the log.
#include "store/sqlite/pending_chat_ids.hpp"

#include <gtest/gtest.h>

using herald::MessageId;
using herald::Seq;
using herald::store::ChatInsertResult;
using herald::store::sqlite::PendingChatIds;

namespace {
ChatInsertResult stored(std::int64_t id) { return {MessageId{id}, Seq{id}, Seq{id}, 0, true}; }
}  // namespace

TEST(PendingChatIds, KeysAreTheSenderAndTheIdTogether) {
  PendingChatIds ids;
  ids.add(1, "a", stored(10));
  ASSERT_NE(ids.find(1, "a"), nullptr);
  EXPECT_EQ(raw(ids.find(1, "a")->id), 10);
  EXPECT_EQ(ids.find(2, "a"), nullptr);  // another sender's "a"
  EXPECT_EQ(ids.find(1, "ab"), nullptr);
  ids.remove(1, "a");
  EXPECT_EQ(ids.find(1, "a"), nullptr);
}

// A generation is dropped only once every chat in it is archived; until
// then its keys keep answering, and newer keys never go early.
TEST(PendingChatIds, AGenerationGoesOnlyWhenAllOfItIsArchived) {
  PendingChatIds ids;
  ids.add(1, "m1", stored(1));
  ids.add(1, "m2", stored(2));
  ids.released_upto(0, 2);  // nothing archived: m1 and m2 become the older generation
  ids.add(1, "m3", stored(3));
  ids.released_upto(1, 3);  // m2 is not archived yet: the older generation stays
  EXPECT_NE(ids.find(1, "m1"), nullptr);
  EXPECT_NE(ids.find(1, "m2"), nullptr);
  ids.released_upto(2, 3);  // m1 and m2 archived: their generation goes, m3 becomes the older
  EXPECT_EQ(ids.find(1, "m1"), nullptr);
  EXPECT_EQ(ids.find(1, "m2"), nullptr);
  EXPECT_NE(ids.find(1, "m3"), nullptr);
  ids.add(1, "m4", stored(4));
  ids.released_upto(3, 4);
  EXPECT_EQ(ids.find(1, "m3"), nullptr);
  EXPECT_NE(ids.find(1, "m4"), nullptr);
  EXPECT_EQ(ids.size(), 1u);
}

// Ids are copied into reused chunks: many keys span several chunks, a
// cleared generation's chunks take new keys, and an id longer than a
// chunk is kept too.
TEST(PendingChatIds, KeysSurviveChunkBoundariesAndReuse) {
  PendingChatIds ids;
  auto id_of = [](int round, int i) { return "round" + std::to_string(round) + "-" + std::string(50, 'x') + std::to_string(i); };
  std::string huge(100000, 'h');
  std::int64_t next = 1;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 5000; ++i) ids.add(7, id_of(round, i), stored(next++));
    ids.add(8, huge + std::to_string(round), stored(next++));
    for (int i = 0; i < 5000; ++i) ASSERT_NE(ids.find(7, id_of(round, i)), nullptr) << round << " " << i;
    ASSERT_NE(ids.find(8, huge + std::to_string(round)), nullptr);
    if (round > 0) EXPECT_NE(ids.find(7, id_of(round - 1, 4999)), nullptr);  // the older generation
    ids.released_upto(next - 1, next - 1);  // all archived: the older generation goes, this one ages
  }
  EXPECT_EQ(ids.find(7, id_of(0, 0)), nullptr);
  EXPECT_EQ(raw(ids.find(7, id_of(2, 4999))->id), next - 2);
}
