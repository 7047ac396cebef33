#pragma once
// hiredis's event library on Boost.Asio, for one redisAsyncContext.
//
// hiredis does no waiting of its own. It asks an "event library", through
// five hooks in redisAsyncContext::ev (addRead, delRead, addWrite,
// delWrite, cleanup), to watch its socket, and expects to be told through
// redisAsyncHandleRead/Write when the socket is ready. AsioEvents is that
// event library, over posix::stream_descriptor::async_wait. Three things
// about it are not obvious:
//
// - hiredis treats an add as one-shot (like a libevent event without
//   EV_PERSIST): it adds reads again after every read and writes again
//   while its output buffer is not empty. So a wait that fires clears
//   `wanted`, and hiredis decides whether there is a next one.
// - hiredis reads at most 16 KiB per redisAsyncHandleRead, so a new read
//   wait often starts on a socket that still holds data. Asio's epoll
//   reactor is edge-triggered, but it re-arms the descriptor
//   (EPOLL_CTL_MOD) whenever a wait is queued, so such a wait completes at
//   once rather than at Redis's next packet (LargeRepliesAndBursts in
//   redis_link_test.cpp).
// - The socket belongs to hiredis (redisFree closes it). The cleanup hook
//   release()s it from the descriptor, which also cancels pending waits,
//   so Asio never closes it a second time.
//
// A wait handler owns its AsioEvents through a shared_ptr, so it may
// complete (aborted) after the context and its owner are gone.
#include <hiredis/async.h>

#include <array>
#include <functional>
#include <memory>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

namespace herald::cluster {

namespace asio = boost::asio;
using boost::system::error_code;

// hiredis's event library for one context (see the file comment).
class AsioEvents : public std::enable_shared_from_this<AsioEvents> {
 public:
  AsioEvents(asio::io_context& io, redisAsyncContext* ac, std::function<void()> on_cleanup)
      : descriptor_(io), ac_(ac), on_cleanup_(std::move(on_cleanup)) {}

  // Registers the socket with the reactor and installs the hooks; false if
  // the reactor refused the socket (then nothing is installed).
  bool attach() {
    error_code ec;
    descriptor_.assign(ac_->c.fd, ec);
    if (ec) return false;
    ac_->ev.data = this;
    ac_->ev.addRead = [](void* p) { events(p).want(kRead, true); };
    ac_->ev.delRead = [](void* p) { events(p).want(kRead, false); };
    ac_->ev.addWrite = [](void* p) { events(p).want(kWrite, true); };
    ac_->ev.delWrite = [](void* p) { events(p).want(kWrite, false); };
    ac_->ev.cleanup = [](void* p) { events(p).cleanup(); };
    return true;
  }

 private:
  enum Direction { kRead = 0, kWrite = 1 };
  struct Side {
    bool wanted = false;   // hiredis asked for this direction
    bool waiting = false;  // an async_wait is pending
  };

  static AsioEvents& events(void* p) { return *static_cast<AsioEvents*>(p); }

  void want(Direction d, bool on) {
    // A pending wait cannot be cancelled alone (cancel() takes both
    // directions): an unwanted one just completes and is ignored.
    sides_[d].wanted = on;
    if (on) arm(d);
  }

  void arm(Direction d) {
    Side& side = sides_[d];
    if (side.waiting || closed_) return;
    side.waiting = true;
    // Completes on an error or hang-up too: hiredis finds out which.
    descriptor_.async_wait(d == kRead ? asio::posix::stream_descriptor::wait_read
                                      : asio::posix::stream_descriptor::wait_write,
                           [self = shared_from_this(), d](error_code ec) { self->ready(d, ec); });
  }

  void ready(Direction d, error_code ec) {
    Side& side = sides_[d];
    side.waiting = false;
    if (closed_ || ec == asio::error::operation_aborted || !side.wanted) return;
    side.wanted = false;  // one-shot: hiredis adds it again if it wants more
    // Any other error: let hiredis try the socket, it reports what failed.
    if (d == kRead) {
      redisAsyncHandleRead(ac_);
    } else {
      redisAsyncHandleWrite(ac_);
    }
    // The context may be freed by now (closed_): touch nothing of it.
  }

  // hiredis is freeing the context and will close the socket next.
  void cleanup() {
    if (closed_) return;
    auto keep = shared_from_this();  // on_cleanup_ drops the owner's reference
    closed_ = true;
    descriptor_.release();
    if (auto done = std::exchange(on_cleanup_, nullptr)) done();
  }

  asio::posix::stream_descriptor descriptor_;
  redisAsyncContext* ac_;
  std::function<void()> on_cleanup_;
  std::array<Side, 2> sides_{};
  bool closed_ = false;
};

}  // namespace herald::cluster
