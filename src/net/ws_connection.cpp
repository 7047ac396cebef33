// WsConnection lifecycle and read side: adopt the socket, wait for
// readability, read into the worker's shared buffer, feed MessageReader,
// act on its events; heartbeat sweep; the single place that ends a session.
#include "net/ws_connection.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include <unistd.h>

#include <boost/asio/execution/context.hpp>
#include <boost/asio/query.hpp>

#include "net/heartbeat.hpp"
#include "net/tls_stream.hpp"  // the constructors own a (null) TlsTransport
#include "net/ws_reader.hpp"

namespace herald::net {

namespace {

constexpr std::size_t kReadBufferBytes = 64 * 1024;
// Reads per readiness event before yielding to other connections.
constexpr int kMaxReadsPerWakeup = 4;
// How long a closing connection waits for the peer's close frame / EOF.
constexpr std::uint32_t kCloseWaitMs = 2000;

// One read buffer per worker thread, shared by all its connections: input
// is parsed (and text handed to observers) before the next read reuses it.
char* worker_read_buffer() {
  thread_local std::unique_ptr<char[]> buffer(new char[kReadBufferBytes]);
  return buffer.get();
}

// A reader for connections with nothing partial: reset per use, moved into
// the connection only when a read ends mid-frame or mid-message.
MessageReader& scratch_reader() {
  thread_local MessageReader reader;
  return reader;
}

std::uint32_t clamp32(std::size_t v) {
  return static_cast<std::uint32_t>(std::min<std::size_t>(v, std::numeric_limits<std::uint32_t>::max()));
}

std::uint32_t seconds_to_ms(int s) {
  if (s <= 0) return std::numeric_limits<std::uint32_t>::max();  // disabled
  return clamp32(static_cast<std::size_t>(s) * 1000);
}

}  // namespace

WsConnection::WsConnection(Socket socket, unsigned worker, ConnectionId id,
                           const TransportLimits& limits, ConnectionSlot slot)
    : socket_(std::move(socket)),
      slot_(std::move(slot)),
      id_(id),
      limits_{clamp32(limits.max_message_bytes), clamp32(limits.max_queue_bytes),
              clamp32(limits.max_queue_messages), seconds_to_ms(limits.heartbeat_interval_s),
              seconds_to_ms(limits.heartbeat_timeout_s)},
      worker_(worker) {}

WsConnection::~WsConnection() = default;

void WsConnection::start(std::shared_ptr<SessionObserver> observer, std::string_view leftover) {
  if (started_) return;
  started_ = true;
  observer_ = std::move(observer);
  const std::uint32_t now = coarse_now_ms();
  last_activity_ms_ = last_ping_ms_ = now;
  if (closing_) close_started_ms_ = now;  // close() came before start()

  // The acceptor made the socket non-blocking (server.cpp); a socket from
  // elsewhere (tests) is made so here. non_blocking() only reads a flag.
  boost::system::error_code ec;
  Socket& socket = tcp_socket();
  if (socket.is_open() && !socket.non_blocking()) socket.non_blocking(true, ec);
  if (!socket.is_open() || ec) {
    finish(closing_ ? close_code_ : kCloseAbnormal);
    return;
  }
  watch_heartbeat(socket_.get_executor().context(), shared_from_this());

  if (!leftover.empty()) {
    // The reader unmasks in place, so it works on a copy.
    if (leftover.size() <= kReadBufferBytes) {
      char* buf = worker_read_buffer();
      std::memcpy(buf, leftover.data(), leftover.size());
      consume({buf, leftover.size()});
    } else {
      std::string copy(leftover);
      consume(copy);
    }
  }
  if (finished_) return;
  wait_readable();
  schedule_flush();
}

void WsConnection::wait_readable() {
  if (tls_) {
    tls_read();
    return;
  }
  socket_.async_wait(Socket::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       self->on_readable(ec);
                     });
}

void WsConnection::on_readable(const boost::system::error_code& ec) {
  if (finished_) return;
  if (ec) {
    finish(closing_ ? close_code_ : kCloseAbnormal);
    return;
  }
  char* buf = worker_read_buffer();
  for (int i = 0; i < kMaxReadsPerWakeup; ++i) {
    boost::system::error_code rec;
    const std::size_t n = socket_.read_some(boost::asio::buffer(buf, kReadBufferBytes), rec);
    if (rec == boost::asio::error::would_block || rec == boost::asio::error::try_again) break;
    if (rec) {  // EOF or reset: the TCP connection is gone
      finish(closing_ ? close_code_ : kCloseAbnormal);
      return;
    }
    last_activity_ms_ = coarse_now_ms();  // any bytes count (PROTOCOL.md 2)
    consume({buf, n});
    if (finished_) return;
    // A short read drained the socket; new data re-arms readiness. (Asio
    // re-registers the descriptor on async_wait, so even unread data left
    // behind after kMaxReadsPerWakeup wakes us again at once.)
    if (n < kReadBufferBytes) break;
  }
  wait_readable();
}

void WsConnection::consume(std::span<char> input) {
  if (input_done_) return;
  MessageReader* reader = reader_.get();
  if (!reader) {
    reader = &scratch_reader();
    reader->reset(limits_.max_message);
  }
  bool more = true;
  while (more && !finished_ && !input_done_) {
    const ReadEvent ev = reader->next(input);
    switch (ev.kind) {
      case ReadEvent::Kind::need_more:
        more = false;
        break;
      case ReadEvent::Kind::text:
        // After our close frame, the RFC lets the peer keep sending; we
        // only wait for its close frame, so messages are dropped.
        if (!closing_ && observer_) observer_->on_text(ev.data);
        break;
      case ReadEvent::Kind::ping:
        if (!closing_) enqueue_control(Opcode::pong, ev.data);
        break;
      case ReadEvent::Kind::pong:
        break;  // activity was already recorded
      case ReadEvent::Kind::close:
        input_done_ = true;
        on_peer_close(ev.code);
        break;
      case ReadEvent::Kind::error:
        input_done_ = true;
        failing_ = true;
        begin_close(ev.code, ev.data, /*drop_queued=*/true);
        break;
    }
  }
  if (input_done_ || finished_) {
    reader_.reset();
  } else if (!reader_ && !reader->idle()) {
    reader_ = std::make_unique<MessageReader>(std::move(*reader));
  } else if (reader_ && reader_->idle()) {
    reader_.reset();  // the partial message completed: free its buffer
  }
}

void WsConnection::on_peer_close(std::uint16_t code) {
  peer_closed_ = true;
  if (!closing_) {
    // Echo the peer's code (RFC 6455 5.5.1); an empty close gets an empty one.
    begin_close(code, {}, /*drop_queued=*/false);
  } else if (close_written_) {
    finish(close_code_);
  }
  // else: our close frame is still queued; on_written finishes.
}

bool WsConnection::sweep(std::uint32_t now_ms) {
  if (finished_) return false;
  if (closing_) {
    if (now_ms - close_started_ms_ >= kCloseWaitMs) finish(close_code_);
    return !finished_;
  }
  // An emptied queue keeps its storage through a burst (no regrowth per
  // write); an idle connection gives it back here, within a second.
  if (queue_.empty() && queue_.capacity() != 0) queue_.shrink_to_fit();
  const std::uint32_t silent = now_ms - last_activity_ms_;
  if (silent >= limits_.timeout_after_ms) {
    close(CloseCode::heartbeat_timeout, "heartbeat timeout");
  } else if (silent >= limits_.ping_after_ms && now_ms - last_ping_ms_ >= limits_.ping_after_ms) {
    last_ping_ms_ = now_ms;
    enqueue_control(Opcode::ping, {});
  }
  return !finished_;
}

void WsConnection::finish(std::uint16_t code) {
  if (finished_) return;
  finished_ = true;
  closing_ = true;
  input_done_ = true;
  boost::system::error_code ignored;
  Socket& socket = tcp_socket();
  socket.shutdown(Socket::shutdown_both, ignored);
  socket.close(ignored);  // cancels the pending wait/write; their handlers see finished_
  slot_.release();          // the descriptor is gone: its place under the caps too
  reader_.reset();
  if (!write_in_flight_) {
    queue_.clear();
    queue_.shrink_to_fit();
    queued_bytes_ = 0;
  }
  if (auto observer = std::move(observer_)) observer->on_closed(code);
}

}  // namespace herald::net
