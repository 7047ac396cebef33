#pragma once
// Who follows whom, in memory (PROTOCOL.md 5, audience `followers`; 6.3).
// Loaded from storage at start and kept current by follow and unfollow
// (after their commit), so a presence event finds its audience without a
// database read, and a `presence:<id>` subscription is checked at once.
//
// Sharded by the followed user under short mutexes: any thread may call it.
// Memory: about 16 bytes an edge (one flat-set entry of the followed user).
#include <array>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

#include "util/ids.hpp"

namespace herald::realtime {

class FollowGraph {
 public:
  // (follower, followee) pairs.
  void load(const std::vector<std::pair<UserId, UserId>>& edges);
  // True when the edge is new (follow) or was there (unfollow).
  bool follow(UserId follower, UserId followee);
  bool unfollow(UserId follower, UserId followee);
  bool follows(UserId follower, UserId followee) const;
  // A copy: the caller walks it without holding a lock.
  std::vector<UserId> followers_of(UserId followee) const;

 private:
  struct IdHash {
    std::size_t operator()(UserId id) const noexcept {
      return std::hash<std::int64_t>{}(raw(id));
    }
  };
  static constexpr std::size_t kShards = 64;
  struct Shard {
    mutable std::mutex mutex;
    boost::unordered_flat_map<UserId, boost::unordered_flat_set<UserId, IdHash>, IdHash> followers;
  };
  Shard& shard(UserId followee) { return shards_[static_cast<std::uint64_t>(raw(followee)) % kShards]; }
  const Shard& shard(UserId followee) const {
    return shards_[static_cast<std::uint64_t>(raw(followee)) % kShards];
  }
  std::array<Shard, kShards> shards_;
};

}  // namespace herald::realtime
