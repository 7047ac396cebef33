#include "realtime/presence_registry.hpp"

#include <algorithm>

namespace herald::realtime {

PresenceRegistry::AttachResult PresenceRegistry::attach(UserId user, unsigned worker,
                                                        int max_connections) {
  Shard& s = shard(user);
  std::lock_guard lock(s.mutex);
  Entry& e = s.users[user];
  if (e.connections >= max_connections) {
    if (e.connections == 0) s.users.erase(user);  // a cap of 0 leaves no empty entry
    return {};
  }
  AttachResult result{true, false, 0, {}};
  if (e.connections == 0) {
    // A user coming back online starts visible: invisible mode lasts until
    // they set another status or reconnect (PROTOCOL.md 5).
    e.status = PresenceStatus::online;
    e.status_data.reset();
    result.became_online = true;
    result.snapshot = ledger_.record(+1);
    result.seq = result.snapshot.seq;
  } else {
    result.snapshot = ledger_.snapshot();
  }
  ++e.connections;
  auto on_worker = std::find_if(e.per_worker.begin(), e.per_worker.end(),
                                [worker](const WorkerCount& w) { return w.worker == worker; });
  if (on_worker == e.per_worker.end()) {
    e.per_worker.push_back({worker, 1});
  } else {
    ++on_worker->connections;
  }
  connections_.fetch_add(1, std::memory_order_relaxed);
  changed();
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
  auto on_worker = std::find_if(e.per_worker.begin(), e.per_worker.end(),
                                [worker](const WorkerCount& w) { return w.worker == worker; });
  if (on_worker != e.per_worker.end() && --on_worker->connections == 0) e.per_worker.erase(on_worker);
  connections_.fetch_sub(1, std::memory_order_relaxed);
  changed();
  if (e.connections > 0) return {};
  DetachResult result{true, was_visible, 0};
  if (was_visible) result.seq = ledger_.record(-1).seq;
  s.users.erase(it);
  return result;
}

PresenceRegistry::StatusChange PresenceRegistry::set_status(UserId user, PresenceStatus status,
                                                            std::optional<std::string> data) {
  Shard& s = shard(user);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(user);
  if (it == s.users.end() || it->second.connections == 0) return {};
  Entry& e = it->second;
  bool was_visible = e.visible();
  // A repeat of what everyone already saw (a client re-sending its status)
  // is coalesced: no event, no number.
  if (was_visible && e.status == status && e.status_data == data) {
    StatusChange same;
    same.visible_now = true;
    same.unchanged = true;
    return same;
  }
  e.status = status;
  e.status_data = std::move(data);
  changed();
  bool visible = e.visible();
  StatusChange change{was_visible && !visible, !was_visible && visible, visible, false, 0, 0};
  // Numbered in the order the Hub announces them: user_status first, then
  // the presence event (an invisible user's status change announces nothing).
  if (change.became_invisible) change.status_seq = ledger_.record(-1).seq;
  if (change.became_visible) change.status_seq = ledger_.record(+1).seq;
  if (change.visible_now) change.presence_seq = ledger_.record(0).seq;
  return change;
}

bool PresenceRegistry::take_broadcast(UserId user, BroadcastKind kind,
                                      TokenBucket::Clock::time_point now) {
  Shard& s = shard(user);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(user);
  if (it == s.users.end() || it->second.connections == 0) return false;
  Entry& e = it->second;
  return kind == BroadcastKind::presence ? e.presence_budget.take(now, limits_.presence)
                                         : e.typing_budget.take(now, limits_.typing);
}

WorkerList PresenceRegistry::workers_of(UserId user) const {
  const Shard& s = shard(user);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(user);
  WorkerList workers;
  if (it == s.users.end()) return workers;
  for (const WorkerCount& w : it->second.per_worker) workers.push_back(w.worker);
  return workers;
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

std::shared_ptr<const PresenceRegistry::OnlineList> PresenceRegistry::sorted_online() const {
  std::lock_guard cache_lock(cache_mutex_);
  // Read before the walk: a change during it bumps the generation again,
  // so the next caller rebuilds rather than keep a list that missed it.
  std::uint64_t generation = generation_.load(std::memory_order_acquire);
  if (cache_ && cache_generation_ == generation) return cache_;
  // O(N log N) over online users, once per change rather than per request.
  auto all = std::make_shared<OnlineList>();
  all->reserve(cache_ ? cache_->size() + 16 : 64);
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (const auto& [id, e] : s.users) {
      if (e.visible()) all->push_back(UserPresence{id, e.connections, e.status, e.status_data});
    }
  }
  std::sort(all->begin(), all->end(),
            [](const UserPresence& a, const UserPresence& b) { return raw(a.user) < raw(b.user); });
  cache_ = std::move(all);
  cache_generation_ = generation;
  return cache_;
}

std::vector<UserPresence> PresenceRegistry::online_users(std::size_t offset,
                                                         std::size_t limit) const {
  auto all = sorted_online();
  if (offset >= all->size()) return {};
  auto first = all->begin() + static_cast<std::ptrdiff_t>(offset);
  auto last = all->size() - offset > limit ? first + static_cast<std::ptrdiff_t>(limit) : all->end();
  return {first, last};
}

}  // namespace herald::realtime
