#include "api/rest_rate_limit.hpp"

#include <iterator>

namespace herald::api {

bool RestRateLimit::allow(UserId user, Clock::time_point now) {
  Shard& s = shards_[static_cast<std::uint64_t>(raw(user)) % kShards];
  std::lock_guard lock(s.mutex);
  if (++s.calls % kSweepEvery == 0 || s.users.size() >= kMaxUsers) sweep(s, now);
  Entry& e = s.users[user];
  e.last = now;
  return e.bucket.take(now, rate_);
}

// An entry idle this long has refilled (burst / rate is far below a
// minute at any sensible setting): forgetting it changes no answer.
void RestRateLimit::sweep(Shard& s, Clock::time_point now) {
  for (auto it = s.users.begin(); it != s.users.end();) {
    it = now - it->second.last >= kIdle ? s.users.erase(it) : std::next(it);
  }
}

std::size_t RestRateLimit::tracked() const {
  std::size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    n += s.users.size();
  }
  return n;
}

}  // namespace herald::api
