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
  std::size_t size() const { return older_.size() + newer_.size(); }

 private:
  struct Key {
    std::int64_t from;
    std::string client_msg_id;
  };
  struct KeyView {
    std::int64_t from;
    std::string_view client_msg_id;
  };
  // Transparent, so a lookup needs no std::string.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(const KeyView& k) const noexcept;
    std::size_t operator()(const Key& k) const noexcept { return (*this)(KeyView{k.from, k.client_msg_id}); }
  };
  struct Equal {
    using is_transparent = void;
    static KeyView view(const Key& k) { return {k.from, k.client_msg_id}; }
    static KeyView view(const KeyView& k) { return k; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
      return view(a).from == view(b).from && view(a).client_msg_id == view(b).client_msg_id;
    }
  };
  using Map = boost::unordered_flat_map<Key, ChatInsertResult, Hash, Equal>;

  Map older_;
  Map newer_;
  std::int64_t older_newest_ = 0;  // newest id the older generation may hold
};

}  // namespace herald::store::sqlite
