// WsConnection write side: the bounded outgoing queue, gathered writes and
// the start of the closing handshake.
//
// Frames queued during one turn of the worker's event loop go out together:
// the connection joins the worker's flush list, and one posted handler
// flushes every listed connection once (no handler per connection).
// A flush sends the queued frames (up to kMaxBatchFrames / kMaxBatchBytes)
// in ONE gathered write: server headers and small payloads are packed into
// one block, large payloads are referenced in place from their shared
// buffers, and the buffer count stays within Asio's 64-iovec limit so a
// batch is a single writev. The write is tried at once on the non-blocking
// socket; only a write the kernel cannot take whole becomes an async_write
// (one in flight), so the common case costs one sendmsg and no handler.
// Over TLS (ws_connection_tls.cpp) the batch is one block, written through
// the SSL stream asynchronously: there is no safe partial synchronous write
// through it, and encryption costs far more than the handler.
// Limits (PROTOCOL.md 7): a frame that would take the queue over
// max_queue_messages or max_queue_bytes drops the pending frames and closes
// 4010 at once; control frames we generate (pong, ping) count too, so a
// ping flood from a client that never reads ends the same way.
#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "net/heartbeat.hpp"
#include "net/ws_connection.hpp"

namespace herald::net {

namespace {
constexpr std::size_t kMaxBatchFrames = 64;
constexpr std::size_t kMaxBatchBytes = 256 * 1024;
constexpr std::size_t kMaxBatchBuffers = 64;     // Asio's per-writev buffer limit
constexpr std::size_t kInlinePayloadMax = 1024;  // copied next to its header

std::size_t payload_size(const Frame& f) { return f ? f->size() : 0; }
}  // namespace

SendResult WsConnection::send(const Frame& frame) {
  if (closing_) return SendResult::closed;
  if (!enqueue(frame, Opcode::text)) return SendResult::overflow;
  return SendResult::queued;
}

void WsConnection::send_handshake_response(std::string response) {
  Frame bytes = make_frame(std::move(response));
  queued_bytes_ += bytes->size();
  queue_.insert(queue_.begin(), {std::move(bytes), kRawBytes});
}

void WsConnection::close(CloseCode code, std::string_view reason) {
  begin_close(static_cast<std::uint16_t>(code), reason,
              /*drop_queued=*/code == CloseCode::slow_consumer);
}

void WsConnection::begin_close(std::uint16_t code, std::string_view reason, bool drop_queued) {
  if (closing_) return;  // the first close wins
  closing_ = true;
  close_code_ = code;
  close_started_ms_ = coarse_now_ms();
  if (drop_queued) drop_pending();
  // The close frame bypasses the limits: it must go out even when full.
  Frame body = make_frame(make_close_payload(code, reason));
  queued_bytes_ += body->size();
  queue_.push_back({std::move(body), Opcode::close});
  schedule_flush();
}

bool WsConnection::enqueue(Frame payload, Opcode opcode) {
  const std::size_t size = payload_size(payload);
  if (queue_.size() >= limits_.max_queue_messages ||
      queued_bytes_ + size > limits_.max_queue_bytes) {
    begin_close(static_cast<std::uint16_t>(CloseCode::slow_consumer), "slow consumer",
                /*drop_queued=*/true);
    return false;
  }
  queue_.push_back({std::move(payload), opcode});
  queued_bytes_ += size;
  schedule_flush();
  return true;
}

void WsConnection::enqueue_control(Opcode opcode, std::string_view payload) {
  enqueue(payload.empty() ? Frame{} : make_frame(std::string(payload)), opcode);
}

void WsConnection::drop_pending() {
  // Frames already handed to async_write stay: their bytes may be half sent.
  // An unsent handshake response stays too: the close frame must follow it.
  std::size_t keep = write_in_flight_ ? inflight_ : 0;
  if (keep < queue_.size() && queue_[keep].opcode == kRawBytes) ++keep;
  queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(keep), queue_.end());
  queued_bytes_ = 0;
  for (const OutFrame& f : queue_) queued_bytes_ += payload_size(f.payload);
}

namespace {
// The worker thread's connections with frames waiting for the next flush.
struct FlushList {
  std::vector<std::shared_ptr<WsConnection>> pending;
  std::vector<std::shared_ptr<WsConnection>> running;  // swapped in, reused
  bool posted = false;
};
thread_local FlushList t_flush_list;
}  // namespace

void WsConnection::schedule_flush() {
  if (!started_ || finished_ || write_in_flight_ || flush_scheduled_ || queue_.empty()) return;
  // Deferred, so every frame queued in this turn of the event loop (a
  // fan-out burst) joins the same write.
  flush_scheduled_ = true;
  FlushList& list = t_flush_list;
  list.pending.push_back(shared_from_this());
  if (list.posted) return;
  list.posted = true;
  boost::asio::post(socket_.get_executor(), [] {
    FlushList& l = t_flush_list;
    l.posted = false;
    l.running.swap(l.pending);
    for (auto& c : l.running) {
      c->flush_scheduled_ = false;
      c->flush();
    }
    l.running.clear();
  });
}

void WsConnection::flush() {
  if (finished_ || write_in_flight_ || queue_.empty()) return;

  // Pass 1: how many frames fit, and the size of the header/small-payload
  // block. Headers go into the current block segment; a large payload closes
  // the segment (one buffer) and adds itself (another).
  // Over TLS every payload is copied into the block: Asio's SSL stream
  // encrypts one buffer per write, and the copy is cheap beside the cipher.
  const std::size_t inline_max = tls_ ? std::numeric_limits<std::size_t>::max() : kInlinePayloadMax;
  std::size_t n = 0, bytes = 0, block_size = 0, buffers = 0;
  bool segment_open = false;
  for (; n < queue_.size() && n < kMaxBatchFrames; ++n) {
    const std::size_t size = payload_size(queue_[n].payload);
    if (n > 0 && bytes + size > kMaxBatchBytes) break;
    const bool inline_payload = size <= inline_max;
    const std::size_t add = inline_payload ? (segment_open ? 0 : 1) : (segment_open ? 1 : 2);
    if (buffers + add > kMaxBatchBuffers) break;
    buffers += add;
    segment_open = inline_payload;
    bytes += size;
    block_size += kMaxServerHeaderBytes + (inline_payload ? size : 0);
  }

  // Pass 2: fill the block and the buffer sequence.
  auto block = std::make_unique_for_overwrite<char[]>(block_size);
  std::vector<boost::asio::const_buffer> seq;
  seq.reserve(buffers);
  char* p = block.get();
  char* segment = p;
  for (std::size_t i = 0; i < n; ++i) {
    const OutFrame& f = queue_[i];
    const std::size_t size = payload_size(f.payload);
    if (f.opcode != kRawBytes) p += encode_frame_header(reinterpret_cast<std::uint8_t*>(p), f.opcode, size);
    if (size <= inline_max) {
      if (size > 0) std::memcpy(p, f.payload->data(), size);
      p += size;
    } else {
      seq.emplace_back(segment, static_cast<std::size_t>(p - segment));
      seq.emplace_back(f.payload->data(), size);  // kept alive by queue_ until on_written
      segment = p;
    }
  }
  if (p > segment) seq.emplace_back(segment, static_cast<std::size_t>(p - segment));

  inflight_ = static_cast<std::uint16_t>(n);
  write_in_flight_ = true;
  if (tls_) {
    tls_write(std::move(block), static_cast<std::size_t>(p - block.get()));
    return;
  }

  std::size_t total = 0;
  for (const auto& b : seq) total += b.size();
  boost::system::error_code ec;
  const std::size_t sent = socket_.write_some(seq, ec);
  if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) ec = {};
  if (ec || sent == total) {
    on_written(ec);  // done (or failed) without a handler
    return;
  }
  // The kernel took part of it (its send buffer is full): the rest goes out
  // asynchronously, the block and the queued frames kept alive until then.
  std::vector<boost::asio::const_buffer> rest;
  rest.reserve(seq.size());
  std::size_t skip = sent;
  for (const auto& b : seq) {
    if (skip >= b.size()) {
      skip -= b.size();
      continue;
    }
    rest.push_back(b + skip);
    skip = 0;
  }
  boost::asio::async_write(
      socket_, std::move(rest),
      [self = shared_from_this(), block = std::move(block)](const boost::system::error_code& error,
                                                            std::size_t) { self->on_written(error); });
}

void WsConnection::on_written(const boost::system::error_code& ec) {
  write_in_flight_ = false;
  bool wrote_close = false;
  for (std::size_t i = 0; i < inflight_; ++i) {
    wrote_close = wrote_close || queue_[i].opcode == Opcode::close;
    queued_bytes_ -= payload_size(queue_[i].payload);
  }
  queue_.erase(queue_.begin(), queue_.begin() + inflight_);
  inflight_ = 0;
  if (finished_ || ec) {
    queue_.clear();
    queue_.shrink_to_fit();
    queued_bytes_ = 0;
    if (!finished_) finish(closing_ ? close_code_ : kCloseAbnormal);
    return;
  }
  if (wrote_close) {
    close_written_ = true;
    if (peer_closed_) {
      finish(close_code_);  // handshake complete: the server closes TCP first
      return;
    }
    // Nothing more from us: send FIN, then wait for the peer's close frame
    // or EOF, bounded by the sweep's close deadline.
    boost::system::error_code ignored;
    tcp_socket().shutdown(Socket::shutdown_send, ignored);
    return;
  }
  if (queue_.empty()) return;  // its storage is released by the sweep once idle
  flush();
}

}  // namespace herald::net
