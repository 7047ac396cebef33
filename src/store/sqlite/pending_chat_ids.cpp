#include "store/sqlite/pending_chat_ids.hpp"

#include <cstring>
#include <functional>
#include <utility>

namespace herald::store::sqlite {

namespace {
// client_msg_id is at most 64 characters (4 bytes each in UTF-8) by
// default; a longer configured limit still fits many to a chunk.
constexpr std::size_t kChunkBytes = 64 * 1024;
}  // namespace

std::size_t PendingChatIds::Hash::operator()(const Key& k) const noexcept {
  // libstdc++'s string hash (murmur-style, 8 bytes a step); Boost 1.81's
  // hash_range mixed one byte at a time.
  return std::hash<std::string_view>()(k.client_msg_id) ^ (static_cast<std::size_t>(k.from) * 0x9E3779B97F4A7C15ull);
}

std::string_view PendingChatIds::Generation::copy(std::string_view bytes) {
  if (bytes.size() > kChunkBytes) {
    // Only with a client_msg_id limit configured far above the default.
    large.push_back(std::make_unique<char[]>(bytes.size()));
    std::memcpy(large.back().get(), bytes.data(), bytes.size());
    return {large.back().get(), bytes.size()};
  }
  if (chunks.empty() || used + bytes.size() > kChunkBytes) {
    if (!chunks.empty()) ++chunk;
    if (chunk == chunks.size()) chunks.push_back(std::make_unique<char[]>(kChunkBytes));
    used = 0;
  }
  char* at = chunks[chunk].get() + used;
  std::memcpy(at, bytes.data(), bytes.size());
  used += bytes.size();
  return {at, bytes.size()};
}

void PendingChatIds::Generation::clear() {
  keys.clear();
  large.clear();
  chunk = 0;
  used = 0;
}

const ChatInsertResult* PendingChatIds::find(std::int64_t from, std::string_view client_msg_id) const {
  Key key{from, client_msg_id};
  if (auto it = newer_.keys.find(key); it != newer_.keys.end()) return &it->second;
  if (auto it = older_.keys.find(key); it != older_.keys.end()) return &it->second;
  return nullptr;
}

void PendingChatIds::add(std::int64_t from, std::string_view client_msg_id,
                         const ChatInsertResult& stored) {
  newer_.keys.emplace(Key{from, newer_.copy(client_msg_id)}, stored);
}

void PendingChatIds::remove(std::int64_t from, std::string_view client_msg_id) {
  // The id's bytes stay in the arena until the generation is cleared.
  if (auto it = newer_.keys.find(Key{from, client_msg_id}); it != newer_.keys.end()) newer_.keys.erase(it);
}

void PendingChatIds::released_upto(std::int64_t archived, std::int64_t newest) {
  if (older_newest_ > archived) return;
  older_.clear();
  std::swap(older_, newer_);
  older_newest_ = newest;
}

}  // namespace herald::store::sqlite
