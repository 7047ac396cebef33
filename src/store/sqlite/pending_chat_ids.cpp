#include "store/sqlite/pending_chat_ids.hpp"

#include <utility>

#include <boost/container_hash/hash.hpp>

namespace herald::store::sqlite {

std::size_t PendingChatIds::Hash::operator()(const KeyView& k) const noexcept {
  std::size_t h = boost::hash<std::string_view>()(k.client_msg_id);
  boost::hash_combine(h, k.from);
  return h;
}

const ChatInsertResult* PendingChatIds::find(std::int64_t from, std::string_view client_msg_id) const {
  KeyView key{from, client_msg_id};
  if (auto it = newer_.find(key); it != newer_.end()) return &it->second;
  if (auto it = older_.find(key); it != older_.end()) return &it->second;
  return nullptr;
}

void PendingChatIds::add(std::int64_t from, std::string_view client_msg_id,
                         const ChatInsertResult& stored) {
  newer_.emplace(Key{from, std::string(client_msg_id)}, stored);
}

void PendingChatIds::remove(std::int64_t from, std::string_view client_msg_id) {
  if (auto it = newer_.find(KeyView{from, client_msg_id}); it != newer_.end()) newer_.erase(it);
}

void PendingChatIds::released_upto(std::int64_t archived, std::int64_t newest) {
  if (older_newest_ > archived) return;
  older_.clear();
  std::swap(older_, newer_);
  older_newest_ = newest;
}

}  // namespace herald::store::sqlite
