#pragma once
// The idempotency keys (sender, client_msg_id) of chats still in the log,
// with what was stored for each: the writer answers a repeat from here,
// and asks the archive's unique index only for keys not found.
//
// Two generations. New keys go into the newer one; once every chat of the
// older one is in the archive, the older is cleared (its capacity kept)
// and the two swap. Erasing key by key as the log was released left the
// open-addressing table full of tombstones, and it rehashed every few
// thousand chats (writer profile: 5% of its time, plus the page faults of
// each new table).
#include <cstdint>
#include <memory>
#include <vector>
#include <string>
#include <string_view>

#include <boost/unordered/unordered_flat_map.hpp>

#include "store/database.hpp"

namespace herald::store::sqlite {

class PendingChatIds {
 public:
  const ChatInsertResult* find(std::int64_t from, std::string_view client_msg_id) const;
  void add(std::int64_t from, std::string_view client_msg_id, const ChatInsertResult& stored);
  // A rolled-back job's key (it was added to the newer generation).
  void remove(std::int64_t from, std::string_view client_msg_id);
  // Every chat with an id up to `archived` is in the archive; `newest` is
  // the newest id added so far.
  void released_upto(std::int64_t archived, std::int64_t newest);
  std::size_t size() const { return older_.keys.size() + newer_.keys.size(); }

 private:
  // A key's client_msg_id points into its generation's arena.
  struct Key {
    std::int64_t from;
    std::string_view client_msg_id;
    bool operator==(const Key&) const = default;
  };
  struct Hash {
    std::size_t operator()(const Key& k) const noexcept;
  };
  // One generation: its keys, and the bytes of their ids in chunks that are
  // reused, not freed, when the generation is cleared (a string per key
  // was a malloc and a free per chat: 9% of the writer).
  struct Generation {
    boost::unordered_flat_map<Key, ChatInsertResult, Hash> keys;
    std::vector<std::unique_ptr<char[]>> chunks;
    std::vector<std::unique_ptr<char[]>> large;  // ids longer than a chunk
    std::size_t chunk = 0;  // the chunk being filled
    std::size_t used = 0;   // bytes used in it
    std::string_view copy(std::string_view bytes);
    void clear();
  };

  Generation older_;
  Generation newer_;
  std::int64_t older_newest_ = 0;  // newest id the older generation may hold
};

}  // namespace herald::store::sqlite
