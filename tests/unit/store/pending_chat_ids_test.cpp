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
