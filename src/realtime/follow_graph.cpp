#include "realtime/follow_graph.hpp"

namespace herald::realtime {

void FollowGraph::load(const std::vector<std::pair<UserId, UserId>>& edges) {
  for (const auto& [follower, followee] : edges) follow(follower, followee);
}

bool FollowGraph::follow(UserId follower, UserId followee) {
  Shard& s = shard(followee);
  std::lock_guard lock(s.mutex);
  return s.followers[followee].insert(follower).second;
}

bool FollowGraph::unfollow(UserId follower, UserId followee) {
  Shard& s = shard(followee);
  std::lock_guard lock(s.mutex);
  auto it = s.followers.find(followee);
  if (it == s.followers.end() || it->second.erase(follower) == 0) return false;
  if (it->second.empty()) s.followers.erase(it);
  return true;
}

bool FollowGraph::follows(UserId follower, UserId followee) const {
  const Shard& s = shard(followee);
  std::lock_guard lock(s.mutex);
  auto it = s.followers.find(followee);
  return it != s.followers.end() && it->second.contains(follower);
}

std::vector<UserId> FollowGraph::followers_of(UserId followee) const {
  const Shard& s = shard(followee);
  std::lock_guard lock(s.mutex);
  auto it = s.followers.find(followee);
  if (it == s.followers.end()) return {};
  return {it->second.begin(), it->second.end()};
}

}  // namespace herald::realtime
