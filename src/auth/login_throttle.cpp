// See login_throttle.hpp.
#include "auth/login_throttle.hpp"

#include <sodium.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "auth/secrets.hpp"

namespace herald::auth {
namespace {

// What one key costs besides its text: the map node (the pair, the next
// pointer and the cached hash), its bucket slot, and the attempt times,
// reserved once at max_attempts + 1 so the vector never grows past it.
std::size_t fixed_entry_bytes(std::size_t max_attempts) {
  using Node = std::pair<const std::string, std::vector<std::int64_t>>;
  return sizeof(Node) + 3 * sizeof(void*) + (max_attempts + 1) * sizeof(std::int64_t);
}

}  // namespace

LoginThrottle::LoginThrottle(int max_attempts, std::int64_t window_s, std::size_t max_keys,
                             std::size_t max_bytes)
    : max_attempts_(max_attempts > 0 ? static_cast<std::size_t>(max_attempts) : 0),
      window_s_(window_s),
      max_keys_(max_keys),
      max_bytes_(max_bytes),
      entry_fixed_bytes_(fixed_entry_bytes(max_attempts_)),
      sweep_interval_s_(std::max<std::int64_t>(1, window_s / 4)) {
  if (max_attempts < 1 || window_s < 1 || max_keys < 1) {
    throw std::invalid_argument("LoginThrottle: max_attempts, window_s and max_keys must be >= 1");
  }
  if (max_bytes < entry_bytes(kMaxKeyBytes)) {
    throw std::invalid_argument("LoginThrottle: max_bytes does not hold one key");
  }
}

// A 128-bit BLAKE2b digest in hex behind a '#' (which no caller's key
// starts with): collisions are out of reach, and a 500 KB key costs 33 bytes.
std::string_view LoginThrottle::stored_key(std::string_view key, std::string& digest_buffer) {
  if (key.size() <= kMaxKeyBytes) return key;
  ensure_sodium();
  unsigned char digest[16];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(key.data()),
                     key.size(), nullptr, 0);
  char hex[sizeof digest * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  digest_buffer = "#";
  digest_buffer += hex;
  return digest_buffer;
}

LoginThrottle::Map::iterator LoginThrottle::prune(std::string_view key, std::int64_t now) {
  auto it = attempts_.find(key);
  if (it == attempts_.end()) return it;
  Attempts& times = it->second;
  // An attempt at t counts while now < t + window_s.
  auto live =
      std::find_if(times.begin(), times.end(), [&](std::int64_t t) { return t + window_s_ > now; });
  times.erase(times.begin(), live);
  if (times.empty()) {
    erase(it);
    return attempts_.end();
  }
  return it;
}

void LoginThrottle::erase(Map::iterator it) {
  bytes_ -= entry_bytes(it->first.size());
  attempts_.erase(it);
}

std::int64_t LoginThrottle::retry_after_locked(Map::iterator it, std::int64_t now) const {
  if (it == attempts_.end() || it->second.size() < max_attempts_) return 0;
  // Blocked until the oldest counted attempt leaves the window; at least 1 s
  // so a caller never sees "blocked, retry after 0".
  return std::max<std::int64_t>(1, it->second.front() + window_s_ - now);
}

void LoginThrottle::add_attempt(std::string_view key, std::int64_t now) {
  auto it = prune(key, now);
  if (it == attempts_.end()) {
    const std::size_t cost = entry_bytes(key.size());
    if (attempts_.size() >= max_keys_ || bytes_ + cost > max_bytes_) make_room(now, cost);
    it = attempts_.try_emplace(std::string(key)).first;
    it->second.reserve(max_attempts_ + 1);
    bytes_ += cost;
  }
  Attempts& times = it->second;
  // Keep ascending order even if the clock stepped back.
  times.insert(std::upper_bound(times.begin(), times.end(), now), now);
  if (times.size() > max_attempts_) times.erase(times.begin());
}

std::int64_t LoginThrottle::begin_attempt(std::span<const std::string_view> keys,
                                          std::int64_t now) {
  std::vector<std::string> digests(keys.size());
  std::lock_guard lock(mutex_);
  maybe_sweep(now);
  std::int64_t wait = 0;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    wait = std::max(wait, retry_after_locked(prune(stored_key(keys[i], digests[i]), now), now));
  }
  if (wait > 0) return wait;
  for (std::size_t i = 0; i < keys.size(); ++i) add_attempt(stored_key(keys[i], digests[i]), now);
  return 0;
}

void LoginThrottle::cancel_attempt(std::string_view key, std::int64_t started) {
  std::string digest;
  std::lock_guard lock(mutex_);
  auto it = attempts_.find(stored_key(key, digest));
  if (it == attempts_.end()) return;
  Attempts& times = it->second;
  auto at = std::find(times.rbegin(), times.rend(), started);
  if (at == times.rend()) return;
  times.erase(std::next(at).base());
  if (times.empty()) erase(it);
}

bool LoginThrottle::allowed(std::string_view key, std::int64_t now) {
  return retry_after(key, now) == 0;
}

std::int64_t LoginThrottle::retry_after(std::string_view key, std::int64_t now) {
  std::string digest;
  std::lock_guard lock(mutex_);
  maybe_sweep(now);
  return retry_after_locked(prune(stored_key(key, digest), now), now);
}

void LoginThrottle::record_failure(std::string_view key, std::int64_t now) {
  std::string digest;
  std::lock_guard lock(mutex_);
  maybe_sweep(now);
  add_attempt(stored_key(key, digest), now);
}

void LoginThrottle::record_success(std::string_view key) {
  std::string digest;
  std::lock_guard lock(mutex_);
  if (auto it = attempts_.find(stored_key(key, digest)); it != attempts_.end()) erase(it);
}

std::size_t LoginThrottle::size() const {
  std::lock_guard lock(mutex_);
  return attempts_.size();
}

std::size_t LoginThrottle::memory_bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

// O(n) at most once per window/4: keys nobody looks up again (a spray of
// names tried once) leave within 1.25 windows instead of waiting for the
// table to fill.
void LoginThrottle::maybe_sweep(std::int64_t now) {
  if (now < next_sweep_) return;
  next_sweep_ = now + sweep_interval_s_;
  sweep_expired(now);
}

void LoginThrottle::sweep_expired(std::int64_t now) {
  for (auto it = attempts_.begin(); it != attempts_.end();) {
    if (it->second.back() + window_s_ <= now) {
      bytes_ -= entry_bytes(it->first.size());
      it = attempts_.erase(it);
    } else {
      ++it;
    }
  }
}

// Called when a new key would break a bound. First drop keys whose attempts
// all left the window. If that frees too little (many keys attempted right
// now, e.g. a spray of usernames), drop the least recently attempted keys
// until both the keys and the bytes are at 90% of their caps, room for the
// new key included. Each such eviction is O(n log n) but frees >= 10% of
// a cap, so the cost per new key stays small amortised. Under such a flood
// an attacker can push a victim key out early; the address key still
// throttles them.
void LoginThrottle::make_room(std::int64_t now, std::size_t incoming_bytes) {
  sweep_expired(now);
  next_sweep_ = now + sweep_interval_s_;
  const std::size_t key_target = max_keys_ - max_keys_ / 10 - 1;
  const std::size_t byte_budget = max_bytes_ - max_bytes_ / 10;
  const std::size_t byte_target = byte_budget > incoming_bytes ? byte_budget - incoming_bytes : 0;
  if (attempts_.size() <= key_target && bytes_ <= byte_target) return;

  std::vector<std::pair<std::int64_t, Map::iterator>> by_age;
  by_age.reserve(attempts_.size());
  for (auto it = attempts_.begin(); it != attempts_.end(); ++it) {
    by_age.emplace_back(it->second.back(), it);
  }
  std::sort(by_age.begin(), by_age.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [newest, it] : by_age) {
    if (attempts_.size() <= key_target && bytes_ <= byte_target) break;
    erase(it);
  }
}

}  // namespace herald::auth
