// One Sweeper per io_context, found through a thread_local weak pointer
// (each io_context is run by exactly one thread). The pending timer handler
// owns the Sweeper, so destroying the io_context destroys it too.
#include "net/heartbeat.hpp"

#include <chrono>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/ws_connection.hpp"

namespace herald::net {

std::uint32_t coarse_now_ms() {
  const auto now = std::chrono::steady_clock::now().time_since_epoch();
  return static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

namespace {

struct Sweeper : std::enable_shared_from_this<Sweeper> {
  explicit Sweeper(boost::asio::io_context& c) : ctx(&c), timer(c) {}

  void arm() {
    armed = true;
    timer.expires_after(std::chrono::milliseconds(kSweepPeriodMs));
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled by a re-arm, or the context is going away
      self->armed = false;
      self->sweep();
    });
  }

  void sweep() {
    const std::uint32_t now = coarse_now_ms();
    // By index, re-reading size(): sweep() can close a connection, and its
    // observer may open or close others on this worker meanwhile.
    for (std::size_t i = 0; i < conns.size();) {
      std::shared_ptr<WsConnection> conn = conns[i].lock();
      if (conn && conn->sweep(now)) {
        ++i;
        continue;
      }
      conns[i] = std::move(conns.back());
      conns.pop_back();
    }
    if (!conns.empty() && !armed) arm();
  }

  boost::asio::io_context* ctx;
  boost::asio::steady_timer timer;
  std::vector<std::weak_ptr<WsConnection>> conns;
  bool armed = false;
};

thread_local std::weak_ptr<Sweeper> t_sweeper;

}  // namespace

void watch_heartbeat(boost::asio::io_context& ctx, const std::shared_ptr<WsConnection>& conn) {
  std::shared_ptr<Sweeper> sweeper = t_sweeper.lock();
  if (!sweeper || sweeper->ctx != &ctx) {
    // First connection on this thread, or the thread now runs another
    // io_context (tests): start a fresh sweeper; the old one, if any, lives
    // on in its own context until that context's list empties.
    sweeper = std::make_shared<Sweeper>(ctx);
    t_sweeper = sweeper;
  }
  sweeper->conns.push_back(conn);
  if (!sweeper->armed) sweeper->arm();
}

}  // namespace herald::net
