#pragma once
// The chat log's record format. The writer packs the chats of one group
// commit into a single blob, one row of main.chat_blocks, so a commit of
// a thousand chats is one B-tree insert instead of a thousand; the fold
// and the writer's state loader unpack it again.
//
// A record: six 64-bit integers (id, from, to, created_at, sender_seq,
// recipient_seq), a 16-bit client_msg_id length (kNoClientMsgId: none), a
// 32-bit body length, then the two strings. Integers are little-endian.
#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald::store::sqlite {

static_assert(std::endian::native == std::endian::little,
              "chat blocks are written in the machine's byte order");

struct ChatRecord {
  std::int64_t id = 0;
  std::int64_t from = 0;
  std::int64_t to = 0;
  std::int64_t created_at = 0;
  std::int64_t sender_seq = 0;
  std::int64_t recipient_seq = 0;
  std::optional<std::string_view> client_msg_id;
  std::string_view body;
};

void append_chat_record(std::string& block, const ChatRecord& record);

// Reads the records of a block in order. The views it hands out point
// into the block. A truncated or malformed block throws StorageError.
class ChatBlockReader {
 public:
  explicit ChatBlockReader(std::string_view block) : rest_(block) {}
  bool next(ChatRecord& record);

 private:
  std::string_view rest_;
};

}  // namespace herald::store::sqlite
