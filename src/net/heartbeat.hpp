#pragma once
// Heartbeat and close deadlines without a timer per connection.
//
// Each worker io_context gets one sweeper (created lazily on the worker's
// thread) holding weak references to that worker's WsConnections. Once a
// second it calls WsConnection::sweep(now), which sends a ping frame after
// heartbeat_interval of silence, closes 4008 after heartbeat_timeout, and
// drops the socket of a closing connection whose peer never answered our
// close frame. Cost: O(connections) per second per worker, a few ms for
// 100k connections; memory: 16 bytes per connection instead of a 120-byte
// steady_timer plus its pending wait.
//
// The sweeper keeps itself alive through its own pending timer wait and stops
// re-arming when its list is empty, so an io_context with no connections has
// no outstanding work and run() can return.
#include <cstdint>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace herald::net {

class WsConnection;

// A monotonic millisecond clock cut to 32 bits. Compare times only by
// unsigned difference (now - then): that is right across the wrap (~49
// days), far longer than any heartbeat timeout.
std::uint32_t coarse_now_ms();

inline constexpr std::uint32_t kSweepPeriodMs = 1000;

// Adds `conn` to the sweep of `ctx`. Must be called on the thread running
// `ctx` (one thread per io_context, as util::WorkerPool runs them).
void watch_heartbeat(boost::asio::io_context& ctx, const std::shared_ptr<WsConnection>& conn);

}  // namespace herald::net
