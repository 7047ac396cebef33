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
// then cost a fraction of a write each. A flush that is cheap, or already
// full (a join storm), keeps its window, so rare broadcasts stay prompt
// and big flushes do not grow bigger. Never beyond `max`.
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
  static constexpr std::size_t kBroadcastsPerWrite = 16;
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
