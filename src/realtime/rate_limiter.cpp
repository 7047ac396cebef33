#include "realtime/rate_limiter.hpp"

#include <algorithm>

namespace herald::realtime {

RateLimiter::Verdict RateLimiter::take(Clock::time_point now) {
  if (last_refill_ != Clock::time_point{}) {
    float elapsed = std::chrono::duration<float>(now - last_refill_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
  }
  last_refill_ = now;
  if (tokens_ >= 1.0f) {
    tokens_ -= 1.0f;
    return Verdict::allow;
  }
  if (now - window_start_ > std::chrono::minutes(1)) {
    window_start_ = now;
    drops_in_window_ = 0;
  }
  ++drops_in_window_;
  return drops_in_window_ >= abuse_drops_ ? Verdict::drop_and_close : Verdict::drop;
}

}  // namespace herald::realtime
