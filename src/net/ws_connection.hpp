#pragma once
// WsConnection: our lean RFC 6455 server endpoint, the Session of one
// established WebSocket connection (see session.hpp for the contract).
//
// Why not Beast's websocket::stream: it holds ~6 KiB per idle connection.
// This one holds no buffer while idle: reads wait with async_wait, then
// read into one 64 KiB buffer per worker thread and parse in place; only a
// frame or message split across reads is copied into a per-connection
// reader, freed as soon as it completes. Heartbeats and close deadlines come
// from one sweep per worker (heartbeat.hpp), not a timer per connection.
//
// TLS (wss://): the same class over a TlsTransport (tls_stream.hpp) instead
// of the bare socket. Its reads and writes go through Asio's SSL stream, in
// ws_connection_tls.cpp; everything above the bytes (parsing, the queue,
// batching, closing, heartbeats) is shared. The plain path pays a
// predictable branch where the two part (reading, writing, shutting down)
// and one null pointer.
//
// Invariants
// - Lives on one io_context run by one thread; every method runs there.
// - Must be owned by a std::shared_ptr (std::make_shared): handlers keep it alive.
// - At most one async_write in flight; queued frames are gathered into it.
// - The observer is called only from I/O handlers on the worker, never
//   after on_closed, and released right after on_closed (that breaks the
//   session <-> observer reference cycle).
// - After close starts, send() returns SendResult::closed; nothing is ever
//   written after our close frame.
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "net/connection_limits.hpp"
#include "net/session.hpp"
#include "net/ws_frame.hpp"

namespace herald::net {

class MessageReader;
struct TlsTransport;

class WsConnection final : public Session, public std::enable_shared_from_this<WsConnection> {
 public:
  // Bound to the io_context directly (8-byte executor instead of the
  // 56-byte any_io_executor of ip::tcp::socket).
  using Socket =
      boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;

  // Takes over `socket`, keeping its reactor registration (accepted with
  // this type, so the upgrade costs no epoll_ctl/ioctl re-homing). The HTTP
  // layer has already written the 101 response. `limits` is copied. `slot`
  // (the socket's place under the connection caps) is given back when the
  // socket closes.
  WsConnection(Socket socket, unsigned worker, ConnectionId id,
               const TransportLimits& limits, ConnectionSlot slot = {});
  // Over TLS: takes over the handshaken stream (its HTTP phase done, the
  // 101 not yet written: send_handshake_response queues it as for plain).
  WsConnection(std::unique_ptr<TlsTransport> tls, unsigned worker, ConnectionId id,
               const TransportLimits& limits, ConnectionSlot slot = {});
  ~WsConnection() override;

  // Starts reading and writing. `leftover` = bytes the HTTP layer read past
  // the upgrade request (may hold the first frames). send()/close() before
  // start() queue. Call once, on the worker thread.
  void start(std::shared_ptr<SessionObserver> observer, std::string_view leftover);

  // Queues raw bytes (the HTTP 101 response) ahead of every frame, so the
  // handshake answer and the first frames (`connected`) leave in one write.
  // Call before start(), before anything else is queued.
  void send_handshake_response(std::string response);

  ConnectionId id() const override { return id_; }
  unsigned worker() const override { return worker_; }
  SendResult send(const Frame& frame) override;
  void close(CloseCode code, std::string_view reason) override;
  bool is_open() const override { return !closing_; }
  bool queue_half_full() const override {
    return queue_.size() >= limits_.max_queue_messages / 2 ||
           queued_bytes_ >= limits_.max_queue_bytes / 2;
  }

  // For the worker's heartbeat sweep: pings, heartbeat timeout, close
  // deadline. Returns false once the connection is finished.
  bool sweep(std::uint32_t now_ms);

 private:
  struct OutFrame {
    Frame payload;  // may be null for an empty control frame
    Opcode opcode;  // kRawBytes: payload is written as is, with no frame header
  };
  // A reserved opcode value (RFC 6455 5.2), never sent as a frame.
  static constexpr Opcode kRawBytes = static_cast<Opcode>(0xF);
  struct Limits {  // TransportLimits, compacted (saturated to 32 bits)
    std::uint32_t max_message;
    std::uint32_t max_queue_bytes;
    std::uint32_t max_queue_messages;
    std::uint32_t ping_after_ms;     // UINT32_MAX: never
    std::uint32_t timeout_after_ms;  // UINT32_MAX: never
  };

  // Read side (ws_connection.cpp).
  void wait_readable();
  void on_readable(const boost::system::error_code& ec);
  void consume(std::span<char> input);
  void on_peer_close(std::uint16_t code);
  void finish(std::uint16_t code);

  // Write side (ws_connection_write.cpp).
  void begin_close(std::uint16_t code, std::string_view reason, bool drop_queued);
  bool enqueue(Frame payload, Opcode opcode);  // false: over the queue limits
  void enqueue_control(Opcode opcode, std::string_view payload);
  void drop_pending();
  void schedule_flush();
  void flush();
  void on_written(const boost::system::error_code& ec);

  // The TCP socket under either transport (shutdown, close, readiness).
  Socket& tcp_socket() { return tls_ ? tls_socket() : socket_; }

  // TLS transport (ws_connection_tls.cpp).
  Socket& tls_socket();
  void tls_read();
  void on_tls_read(const boost::system::error_code& ec, std::size_t n);
  void tls_write(std::unique_ptr<char[]> block, std::size_t size);

  Socket socket_;  // plain: the connection; TLS: unopened (the socket is in tls_)
  std::unique_ptr<TlsTransport> tls_;  // null for plain connections
  ConnectionSlot slot_;
  std::shared_ptr<SessionObserver> observer_;
  std::vector<OutFrame> queue_;            // [0, inflight_) are being written
  std::unique_ptr<MessageReader> reader_;  // only while a frame/message is partial
  std::size_t queued_bytes_ = 0;           // payload bytes in queue_
  ConnectionId id_;
  Limits limits_;
  unsigned worker_;
  std::uint32_t last_activity_ms_ = 0;
  std::uint32_t last_ping_ms_ = 0;
  std::uint32_t close_started_ms_ = 0;
  std::uint16_t close_code_ = 0;
  std::uint16_t inflight_ = 0;
  bool started_ : 1 = false;
  bool closing_ : 1 = false;          // a close frame is queued (ours or our echo)
  bool close_written_ : 1 = false;    // ... and written
  bool peer_closed_ : 1 = false;      // the peer's close frame arrived
  bool failing_ : 1 = false;          // we failed the connection (protocol error)
  bool input_done_ : 1 = false;       // ignore further input
  bool finished_ : 1 = false;         // socket gone, on_closed delivered
  bool write_in_flight_ : 1 = false;
  bool flush_scheduled_ : 1 = false;
};

}  // namespace herald::net
