#pragma once
// Per-connection message rate limit (PROTOCOL.md 7): a token bucket of
// `burst` tokens refilled at `rate` per second; a message that finds no
// token is dropped with RATE_LIMITED. Repeated abuse (the Nth drop within
// a minute) tells the caller to close the connection with 1008.
// Single-threaded: owned by one connection on its worker.
#include <chrono>
#include <cstdint>

namespace herald::realtime {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Verdict : std::uint8_t { allow, drop, drop_and_close };

  RateLimiter(double rate_per_s, double burst, int abuse_drops)
      : rate_(static_cast<float>(rate_per_s)),
        burst_(static_cast<float>(burst)),
        tokens_(static_cast<float>(burst)),
        abuse_drops_(static_cast<std::uint16_t>(abuse_drops)) {}

  Verdict take(Clock::time_point now);

 private:
  float rate_;
  float burst_;
  float tokens_;
  std::uint16_t abuse_drops_;
  std::uint16_t drops_in_window_ = 0;
  Clock::time_point last_refill_{};
  Clock::time_point window_start_{};
};

}  // namespace herald::realtime
