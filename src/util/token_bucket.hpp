#pragma once
// A token bucket: `burst` tokens, refilled at `rate` per second. The state
// is two numbers, so one can live in every registry entry; the caller
// keeps it under whatever lock guards that entry.
#include <algorithm>
#include <chrono>

namespace herald::util {

struct BucketRate {
  double per_s = 1;
  double burst = 1;
};

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  // Takes one token if there is one.
  bool take(Clock::time_point now, const BucketRate& rate) {
    if (!started_) {
      tokens_ = static_cast<float>(rate.burst);
      started_ = true;
    } else {
      double elapsed = std::chrono::duration<double>(now - last_).count();
      tokens_ = static_cast<float>(std::min(rate.burst, tokens_ + std::max(0.0, elapsed) * rate.per_s));
    }
    last_ = now;
    if (tokens_ < 1.0f) return false;
    tokens_ -= 1.0f;
    return true;
  }

 private:
  float tokens_ = 0;
  bool started_ = false;
  Clock::time_point last_{};
};

}  // namespace herald::util
