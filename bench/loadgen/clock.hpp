#pragma once
// Monotonic nanoseconds: the one time base of the load generator. Send
// timestamps embedded in frames and receive times come from the same clock in
// the same process, so latencies need no clock sync.
#include <cstdint>
#include <ctime>

namespace herald::bench {

inline std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

inline double ns_to_s(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

}  // namespace herald::bench
