// The broadcast window: the configured minimum unless flushes are both
// costly and thin; then long enough for several broadcasts per write.
#include "realtime/broadcast_window.hpp"

#include <gtest/gtest.h>

using herald::realtime::BroadcastFlush;
using herald::realtime::BroadcastWindow;
using std::chrono::microseconds;
using std::chrono::milliseconds;

namespace {
const BroadcastWindow kWindow{milliseconds(20), milliseconds(100)};
BroadcastFlush flush(int window_ms, int cost_us, std::size_t broadcasts) {
  return {milliseconds(window_ms), microseconds(cost_us), broadcasts};
}
}  // namespace

TEST(BroadcastWindow, StartsAtTheMinimum) {
  EXPECT_EQ(kWindow.after(BroadcastFlush{}), milliseconds(20));
}

TEST(BroadcastWindow, CheapFlushesKeepTheMinimum) {
  // One rare broadcast to a few listeners: thin, but cheap.
  EXPECT_EQ(kWindow.after(flush(20, 300, 1)), milliseconds(20));
}

TEST(BroadcastWindow, FullFlushesKeepTheMinimum) {
  // Costly, but every write already carries 80 broadcasts.
  EXPECT_EQ(kWindow.after(flush(20, 40000, 80)), milliseconds(20));
}

TEST(BroadcastWindow, AJoinStormStretchesUntilWritesCarry64) {
  // 1,000 joins a second: 20 statuses per 20 ms window, 40 ms of writes.
  EXPECT_EQ(kWindow.after(flush(20, 40000, 20)), milliseconds(64));
}

TEST(BroadcastWindow, CostlyThinFlushesStretchUntilWritesFill) {
  // Two presence changes per window to 2,000 listeners, 8 ms of writes.
  EXPECT_EQ(kWindow.after(flush(20, 8000, 2)), milliseconds(80));
  // ... and there it holds: the writes take a tenth of the time.
  EXPECT_EQ(kWindow.after(flush(80, 8000, 8)), milliseconds(80));
  // Very costly: long enough for 64 broadcasts per write, no longer.
  EXPECT_EQ(kWindow.after(flush(20, 50000, 40)), milliseconds(32));
}

TEST(BroadcastWindow, NeverBeyondTheMaximum) {
  EXPECT_EQ(kWindow.after(flush(20, 50000, 1)), milliseconds(100));
}

TEST(BroadcastWindow, AMaximumBelowTheMinimumFixesIt) {
  BroadcastWindow fixed{milliseconds(50), milliseconds(10)};
  EXPECT_EQ(fixed.after(flush(50, 30000, 1)), milliseconds(50));
  EXPECT_EQ(fixed.after(BroadcastFlush{}), milliseconds(50));
}
