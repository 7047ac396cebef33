// WsConnection over TLS: the bytes go through Asio's SSL stream, always
// asynchronously. The plain path's tricks do not carry over, and why:
// - Reads: the plain path waits for readiness and then reads the socket
//   into the worker's shared buffer. Here readiness of the socket says
//   nothing about plaintext (OpenSSL may hold whole records already, or
//   need more bytes for one), and a synchronous SSL read that has to answer
//   something (a TLS 1.3 KeyUpdate) would write around an async write in
//   flight. So one async_read_some is always pending, into the
//   connection's own small buffer (TlsTransport::kReadBytes): Asio copies
//   the plaintext into it when the read completes, possibly at initiation,
//   so a buffer shared by the worker could be overwritten before its
//   handler runs.
// - Writes: one block per flush (ws_connection_write.cpp copies every
//   payload into it), handed to async_write: Asio's SSL stream encrypts
//   one buffer per write and cannot take back bytes a partial synchronous
//   write left in its output buffer.
// Closing: our close frame is followed by a TCP FIN without a TLS
// close_notify; the WebSocket closing handshake already marks the end of
// the data, and the peer is not kept waiting for an SSL shutdown.
#include <boost/asio/write.hpp>

#include "net/heartbeat.hpp"
#include "net/tls_stream.hpp"
#include "net/ws_connection.hpp"
#include "net/ws_reader.hpp"

namespace herald::net {

WsConnection::WsConnection(std::unique_ptr<TlsTransport> tls, unsigned worker, ConnectionId id,
                           const TransportLimits& limits, ConnectionSlot slot)
    : WsConnection(Socket(tls->stream.get_executor()), worker, id, limits, std::move(slot)) {
  tls_ = std::move(tls);
}

WsConnection::Socket& WsConnection::tls_socket() { return tls_->stream.next_layer().socket(); }

void WsConnection::tls_read() {
  tls_->stream.async_read_some(
      boost::asio::buffer(tls_->read_buffer.get(), TlsTransport::kReadBytes),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        self->on_tls_read(ec, n);
      });
}

void WsConnection::on_tls_read(const boost::system::error_code& ec, std::size_t n) {
  if (finished_) return;
  if (ec) {  // EOF, reset, a TLS alert or a bad record: the connection is gone
    finish(closing_ ? close_code_ : kCloseAbnormal);
    return;
  }
  last_activity_ms_ = coarse_now_ms();  // any bytes count (PROTOCOL.md 2)
  consume({tls_->read_buffer.get(), n});
  if (finished_) return;
  tls_read();
}

void WsConnection::tls_write(std::unique_ptr<char[]> block, std::size_t size) {
  const boost::asio::const_buffer bytes(block.get(), size);
  boost::asio::async_write(
      tls_->stream, bytes,
      [self = shared_from_this(), block = std::move(block)](const boost::system::error_code& error,
                                                            std::size_t) { self->on_written(error); });
}

}  // namespace herald::net
