#include "cluster/presence_mirror.hpp"

namespace herald::cluster {

PresenceMirror::Applied PresenceMirror::apply(const PresenceEvent& event) {
  std::lock_guard lock(mutex_);
  if (event.seq <= seq_) return Applied::already_had;
  if (event.seq != seq_ + 1) return Applied::gap;
  seq_ = event.seq;
  if (event.online) {
    online_.insert(raw(event.user));
  } else {
    online_.erase(raw(event.user));
  }
  ring_.push_back(event);
  if (ring_.size() > capacity_) {
    ring_floor_ = ring_.front().seq;  // since(from) needs from + 1 in the ring
    ring_.pop_front();
  }
  return Applied::applied;
}

void PresenceMirror::reset(std::uint64_t seq, const std::vector<UserId>& online) {
  std::lock_guard lock(mutex_);
  seq_ = seq;
  online_.clear();
  for (UserId u : online) online_.insert(raw(u));
  ring_.clear();
  ring_floor_ = seq;
}

std::uint64_t PresenceMirror::seq() const {
  std::lock_guard lock(mutex_);
  return seq_;
}

std::int64_t PresenceMirror::online_count() const {
  std::lock_guard lock(mutex_);
  return static_cast<std::int64_t>(online_.size());
}

bool PresenceMirror::is_online(UserId user) const {
  std::lock_guard lock(mutex_);
  return online_.contains(raw(user));
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
