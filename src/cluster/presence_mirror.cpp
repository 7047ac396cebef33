#include "cluster/presence_mirror.hpp"

namespace herald::cluster {

namespace {

PresenceUserState state_of(const PresenceEvent& e) {
  return PresenceUserState{e.user, e.username, e.connections, e.status, e.data};
}

}  // namespace

PresenceMirror::Applied PresenceMirror::apply(const PresenceEvent& event) {
  std::lock_guard lock(mutex_);
  if (event.seq <= seq_) return Applied::already_had;
  if (event.seq != seq_ + 1) return Applied::gap;
  seq_ = event.seq;

  // Every event carries the user's whole state after it: replace what the
  // mirror had, whatever the kind, and move the visible count by the
  // difference (so it stays the number of visible users_).
  auto it = users_.find(raw(event.user));
  bool was_visible = it != users_.end() && it->second.visible();
  PresenceUserState now = state_of(event);
  bool visible = now.visible();
  if (now.connections <= 0) {
    if (it != users_.end()) users_.erase(it);
  } else {
    users_.insert_or_assign(raw(event.user), std::move(now));
  }
  online_ += static_cast<std::int64_t>(visible) - static_cast<std::int64_t>(was_visible);

  ring_.push_back(event);
  if (ring_.size() > capacity_) {
    ring_floor_ = ring_.front().seq;  // since(from) needs from + 1 in the ring
    ring_.pop_front();
  }
  return Applied::applied;
}

void PresenceMirror::reset(const PresenceSnapshotState& state) {
  std::lock_guard lock(mutex_);
  seq_ = state.seq;
  users_.clear();
  online_ = 0;
  for (const PresenceUserState& u : state.users) {
    if (u.connections <= 0) continue;  // a snapshot lists none such; the mirror keeps none
    users_.insert_or_assign(raw(u.user), u);
  }
  for (const auto& [id, u] : users_) online_ += u.visible() ? 1 : 0;
  ring_.clear();
  ring_floor_ = state.seq;
}

std::uint64_t PresenceMirror::seq() const {
  std::lock_guard lock(mutex_);
  return seq_;
}

std::int64_t PresenceMirror::online_count() const {
  std::lock_guard lock(mutex_);
  return online_;
}

bool PresenceMirror::is_online(UserId user) const {
  std::lock_guard lock(mutex_);
  auto it = users_.find(raw(user));
  return it != users_.end() && it->second.visible();
}

std::optional<PresenceUserState> PresenceMirror::user(UserId user) const {
  std::lock_guard lock(mutex_);
  auto it = users_.find(raw(user));
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

// A walk in id order that skips the invisible users: users_ holds everyone
// with a connection, and a visible-only index would be one more structure
// to keep in step with it for a read that is rare next to apply().
std::vector<PresenceUserState> PresenceMirror::online_users(std::size_t offset,
                                                            std::size_t limit) const {
  std::lock_guard lock(mutex_);
  std::vector<PresenceUserState> page;
  for (const auto& [id, u] : users_) {
    if (page.size() >= limit) break;
    if (!u.visible()) continue;
    if (offset > 0) {
      --offset;
      continue;
    }
    page.push_back(u);
  }
  return page;
}

std::optional<std::vector<PresenceEvent>> PresenceMirror::since(std::uint64_t from) const {
  std::lock_guard lock(mutex_);
  if (from < ring_floor_) return std::nullopt;
  std::vector<PresenceEvent> out;
  for (const PresenceEvent& e : ring_) {
    if (e.seq > from) out.push_back(e);
  }
  return out;
}

}  // namespace herald::cluster
