#include "store/sqlite/chat_block.hpp"

#include <cstring>

#include "store/database.hpp"

namespace herald::store::sqlite {

namespace {
constexpr std::uint16_t kNoClientMsgId = 0xFFFF;
constexpr std::size_t kHeaderBytes = 6 * 8 + 2 + 4;

template <class T>
void put(char*& out, T value) {
  std::memcpy(out, &value, sizeof value);
  out += sizeof value;
}

template <class T>
T take(const char*& in) {
  T value;
  std::memcpy(&value, in, sizeof value);
  in += sizeof value;
  return value;
}
}  // namespace

void append_chat_record(std::string& block, const ChatRecord& record) {
  // client_msg_id is at most 64 characters (PROTOCOL 4.2), body 4096.
  std::string_view id = record.client_msg_id.value_or(std::string_view());
  std::size_t start = block.size();
  block.resize(start + kHeaderBytes + id.size() + record.body.size());
  char* out = block.data() + start;
  for (std::int64_t v : {record.id, record.from, record.to, record.created_at, record.sender_seq,
                         record.recipient_seq}) {
    put(out, v);
  }
  put(out, record.client_msg_id ? static_cast<std::uint16_t>(id.size()) : kNoClientMsgId);
  put(out, static_cast<std::uint32_t>(record.body.size()));
  std::memcpy(out, id.data(), id.size());
  std::memcpy(out + id.size(), record.body.data(), record.body.size());
}

bool ChatBlockReader::next(ChatRecord& record) {
  if (rest_.empty()) return false;
  if (rest_.size() < kHeaderBytes) throw StorageError("chat block: truncated record header");
  const char* in = rest_.data();
  record.id = take<std::int64_t>(in);
  record.from = take<std::int64_t>(in);
  record.to = take<std::int64_t>(in);
  record.created_at = take<std::int64_t>(in);
  record.sender_seq = take<std::int64_t>(in);
  record.recipient_seq = take<std::int64_t>(in);
  auto id_size = take<std::uint16_t>(in);
  auto body_size = take<std::uint32_t>(in);
  std::size_t id_bytes = id_size == kNoClientMsgId ? 0 : id_size;
  if (rest_.size() - kHeaderBytes < id_bytes + body_size) {
    throw StorageError("chat block: truncated record");
  }
  if (id_size == kNoClientMsgId) {
    record.client_msg_id.reset();
  } else {
    record.client_msg_id = std::string_view(in, id_bytes);
  }
  record.body = std::string_view(in + id_bytes, body_size);
  rest_.remove_prefix(kHeaderBytes + id_bytes + body_size);
  return true;
}

}  // namespace herald::store::sqlite
