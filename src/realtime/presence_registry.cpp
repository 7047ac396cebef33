#include "realtime/presence_registry.hpp"

#include <algorithm>

namespace herald::realtime {

PresenceRegistry::AttachResult PresenceRegistry::attach(UserId user, unsigned worker,
                                                        int max_connections) {
  Shard& s = shard(user);
  std::lock_guard lock(s.mutex);
  Entry& e = s.users[user];
  if (e.connections >= max_connections) return {false, false};
  AttachResult result{true, false};
  if (e.connections == 0) {
    // A user coming back online starts visible: invisible mode lasts until
    // they set another status or reconnect (PROTOCOL.md 5).
    e.status = PresenceStatus::online;
    e.status_data.reset();
    result.became_online = true;
    online_.fetch_add(1, std::memory_order_relaxed);
  }
  ++e.connections;
  ++e.per_worker[worker % kMaxWorkers];
  connections_.fetch_add(1, std::memory_order_relaxed);
  return result;
}

PresenceRegistry::DetachResult PresenceRegistry::detach(UserId user, unsigned worker) {
  Shard& s = shard(user);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(user);
  if (it == s.users.end() || it->second.connections == 0) return {};
  Entry& e = it->second;
  bool was_visible = e.visible();
  --e.connections;
  auto& on_worker = e.per_worker[worker % kMaxWorkers];
  if (on_worker > 0) --on_worker;
  connections_.fetch_sub(1, std::memory_order_relaxed);
  if (e.connections > 0) return {false, false};
  if (was_visible) online_.fetch_sub(1, std::memory_order_relaxed);
  s.users.erase(it);
  return {true, was_visible};
}

PresenceRegistry::StatusChange PresenceRegistry::set_status(UserId user, PresenceStatus status,
                                                            std::optional<std::string> data) {
  Shard& s = shard(user);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(user);
  if (it == s.users.end() || it->second.connections == 0) return {};
  Entry& e = it->second;
  bool was_visible = e.visible();
  e.status = status;
  e.status_data = std::move(data);
  bool visible = e.visible();
  if (was_visible && !visible) online_.fetch_sub(1, std::memory_order_relaxed);
  if (!was_visible && visible) online_.fetch_add(1, std::memory_order_relaxed);
  return {was_visible && !visible, !was_visible && visible, visible};
}

std::uint64_t PresenceRegistry::workers_of(UserId user) const {
  const Shard& s = shard(user);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(user);
  if (it == s.users.end()) return 0;
  std::uint64_t mask = 0;
  for (unsigned w = 0; w < kMaxWorkers; ++w) {
    if (it->second.per_worker[w] > 0) mask |= std::uint64_t{1} << w;
  }
  return mask;
}

bool PresenceRegistry::is_user_online(UserId user) const {
  const Shard& s = shard(user);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(user);
  return it != s.users.end() && it->second.visible();
}

int PresenceRegistry::user_connections_count(UserId user) const {
  const Shard& s = shard(user);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(user);
  return it != s.users.end() && it->second.visible() ? it->second.connections : 0;
}

std::optional<UserPresence> PresenceRegistry::presence_of(UserId user) const {
  const Shard& s = shard(user);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(user);
  if (it == s.users.end()) return std::nullopt;
  return UserPresence{user, it->second.connections, it->second.status, it->second.status_data};
}

std::vector<UserPresence> PresenceRegistry::online_users(std::size_t offset,
                                                         std::size_t limit) const {
  // O(N log N) over online users per call: fine for the REST listing, which
  // is paged and not on any hot path.
  std::vector<UserPresence> all;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (const auto& [id, e] : s.users) {
      if (e.visible()) all.push_back(UserPresence{id, e.connections, e.status, e.status_data});
    }
  }
  std::sort(all.begin(), all.end(),
            [](const UserPresence& a, const UserPresence& b) { return raw(a.user) < raw(b.user); });
  if (offset >= all.size()) return {};
  auto first = all.begin() + static_cast<std::ptrdiff_t>(offset);
  auto last = all.size() - offset > limit ? first + static_cast<std::ptrdiff_t>(limit) : all.end();
  return {first, last};
}

}  // namespace herald::realtime
