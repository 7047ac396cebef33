// The chat log's packed record format (store/sqlite/chat_block.hpp).
#include "store/sqlite/chat_block.hpp"

#include <gtest/gtest.h>

#include "store/database.hpp"

using herald::store::StorageError;
using herald::store::sqlite::append_chat_record;
using herald::store::sqlite::ChatBlockReader;
using herald::store::sqlite::ChatRecord;

TEST(ChatBlock, RecordsComeBackInOrderWithAndWithoutClientMsgId) {
  std::string block;
  std::string long_body(4096, 'b');
  append_chat_record(block, {7, 1, 2, 1000, 3, 4, std::string_view("c-1"), "hello"});
  append_chat_record(block, {8, 2, 1, 1001, 5, 4, std::nullopt, long_body});
  append_chat_record(block, {9, 1, 2, 1002, 6, 6, std::string_view(""), "x"});
  ChatBlockReader reader(block);
  ChatRecord r;
  ASSERT_TRUE(reader.next(r));
  EXPECT_EQ(r.id, 7);
  EXPECT_EQ(r.from, 1);
  EXPECT_EQ(r.to, 2);
  EXPECT_EQ(r.created_at, 1000);
  EXPECT_EQ(r.sender_seq, 3);
  EXPECT_EQ(r.recipient_seq, 4);
  ASSERT_TRUE(r.client_msg_id);
  EXPECT_EQ(*r.client_msg_id, "c-1");
  EXPECT_EQ(r.body, "hello");
  ASSERT_TRUE(reader.next(r));
  EXPECT_EQ(r.id, 8);
  EXPECT_FALSE(r.client_msg_id);
  EXPECT_EQ(r.body, long_body);
  ASSERT_TRUE(reader.next(r));
  ASSERT_TRUE(r.client_msg_id);  // present but empty is not absent
  EXPECT_EQ(*r.client_msg_id, "");
  EXPECT_FALSE(reader.next(r));
}

TEST(ChatBlock, TruncatedBlockIsAStorageErrorAtEveryCut) {
  std::string block;
  append_chat_record(block, {1, 1, 2, 10, 1, 1, std::string_view("id"), "body"});
  for (std::size_t cut = 1; cut < block.size(); ++cut) {
    ChatBlockReader reader(std::string_view(block).substr(0, cut));
    ChatRecord r;
    EXPECT_THROW(reader.next(r), StorageError) << "cut at " << cut;
  }
}
