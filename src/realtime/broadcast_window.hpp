#pragma once
// How long a worker gathers broadcasts (user_status, presence, context
// events) before it writes them out, one write per connection.
//
// At least `min` (HubOptions::broadcast_batch_ms), so a quiet server sends
// a status change within that. A flush costs about one write per
// connection whatever it carries, so when flushes are both costly (over
// kShare of the worker's time at this window) and thin (fewer than
// kBroadcastsPerWrite broadcasts each), the window stretches until each
// write carries that many: frequent presence changes to many listeners
// then cost a fraction of a write each, and a join storm (1,000 joins a
// second: about 64 ms) leaves the worker time for the handshakes. A cheap
// flush keeps the minimum, so rare broadcasts stay prompt, and a window
// never grows beyond what fills its writes, so flushes (during which
// nothing else runs on the worker) stay short. Never beyond `max`.
#include <algorithm>
#include <chrono>
#include <cstddef>

namespace herald::realtime {

struct BroadcastFlush {
  std::chrono::microseconds window{0};  // what it gathered over
  std::chrono::microseconds cost{0};    // wall time, writes included
  std::size_t broadcasts = 0;
};

struct BroadcastWindow {
  static constexpr double kShare = 0.1;
  static constexpr std::size_t kBroadcastsPerWrite = 64;
  std::chrono::microseconds min{20000};
  std::chrono::microseconds max{100000};

  std::chrono::microseconds after(const BroadcastFlush& last) const {
    using std::chrono::microseconds;
    auto within_share = microseconds(static_cast<std::int64_t>(last.cost.count() / kShare));
    auto filled = microseconds(last.window.count() * static_cast<std::int64_t>(kBroadcastsPerWrite) /
                               static_cast<std::int64_t>(std::max<std::size_t>(1, last.broadcasts)));
    return std::clamp(std::min(within_share, filled), min, std::max(min, max));
  }
};

}  // namespace herald::realtime
