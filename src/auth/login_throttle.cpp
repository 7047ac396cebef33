// See login_throttle.hpp.
#include "auth/login_throttle.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace herald::auth {

LoginThrottle::LoginThrottle(int max_failures, std::int64_t window_s, std::size_t max_keys)
    : max_failures_(max_failures > 0 ? static_cast<std::size_t>(max_failures) : 0),
      window_s_(window_s),
      max_keys_(max_keys) {
  if (max_failures < 1 || window_s < 1 || max_keys < 1) {
    throw std::invalid_argument("LoginThrottle: max_failures, window_s and max_keys must be >= 1");
  }
}

LoginThrottle::Map::iterator LoginThrottle::prune(std::string_view key, std::int64_t now) {
  auto it = failures_.find(key);
  if (it == failures_.end()) return it;
  Failures& times = it->second;
  // A failure at t counts while now < t + window_s.
  auto live =
      std::find_if(times.begin(), times.end(), [&](std::int64_t t) { return t + window_s_ > now; });
  times.erase(times.begin(), live);
  if (times.empty()) {
    failures_.erase(it);
    return failures_.end();
  }
  return it;
}

std::int64_t LoginThrottle::retry_after_locked(Map::iterator it, std::int64_t now) const {
  if (it == failures_.end() || it->second.size() < max_failures_) return 0;
  // Blocked until the oldest counted failure leaves the window; at least 1 s
  // so a caller never sees "blocked, retry after 0".
  return std::max<std::int64_t>(1, it->second.front() + window_s_ - now);
}

bool LoginThrottle::allowed(std::string_view key, std::int64_t now) {
  std::lock_guard lock(mutex_);
  return retry_after_locked(prune(key, now), now) == 0;
}

std::int64_t LoginThrottle::retry_after(std::string_view key, std::int64_t now) {
  std::lock_guard lock(mutex_);
  return retry_after_locked(prune(key, now), now);
}

void LoginThrottle::record_failure(std::string_view key, std::int64_t now) {
  std::lock_guard lock(mutex_);
  auto it = prune(key, now);
  if (it == failures_.end()) {
    if (failures_.size() >= max_keys_) make_room(now);
    it = failures_.try_emplace(std::string(key)).first;
  }
  Failures& times = it->second;
  // Keep ascending order even if the clock stepped back.
  times.insert(std::upper_bound(times.begin(), times.end(), now), now);
  if (times.size() > max_failures_) times.erase(times.begin());
}

void LoginThrottle::record_success(std::string_view key) {
  std::lock_guard lock(mutex_);
  if (auto it = failures_.find(key); it != failures_.end()) failures_.erase(it);
}

std::size_t LoginThrottle::size() const {
  std::lock_guard lock(mutex_);
  return failures_.size();
}

// Called with the map full. First drop keys whose failures all left the
// window. If that frees too little (many keys failing right now, e.g. a
// spray of usernames), drop the least recently failing keys down to 90% of
// the cap. Each sweep is O(n) but frees >= 10% of the cap, so the cost per
// recorded failure stays O(1) amortised. Under such a flood an attacker can
// push a victim key out early; the per-address key still throttles them.
void LoginThrottle::make_room(std::int64_t now) {
  std::erase_if(failures_,
                [&](const auto& entry) { return entry.second.back() + window_s_ <= now; });
  const std::size_t target = max_keys_ - max_keys_ / 10 - 1;  // room for the new key
  if (failures_.size() <= target) return;

  std::vector<std::pair<std::int64_t, Map::iterator>> by_age;
  by_age.reserve(failures_.size());
  for (auto it = failures_.begin(); it != failures_.end(); ++it) {
    by_age.emplace_back(it->second.back(), it);
  }
  const std::size_t excess = failures_.size() - target;
  std::nth_element(by_age.begin(), by_age.begin() + static_cast<std::ptrdiff_t>(excess - 1),
                   by_age.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < excess; ++i) failures_.erase(by_age[i].second);
}

}  // namespace herald::auth
