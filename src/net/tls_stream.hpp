#pragma once
// The stream of a TLS connection, the same object through both of its
// phases: Beast's HTTP session reads and writes it (its basic_stream layer
// gives the header deadline, which bounds the handshake too), and after an
// upgrade it moves, with whatever OpenSSL has buffered, into the
// WsConnection's TlsTransport. Only files that handle TLS include this
// (it pulls in OpenSSL's headers).
#include <cstddef>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/basic_stream.hpp>

namespace herald::net {

// Over the worker-bound socket type, as the plain path (http_session.cpp).
using HttpStream = boost::beast::basic_stream<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;
using TlsStream = boost::asio::ssl::stream<HttpStream>;

// What a TLS WsConnection holds in place of its plain socket. OpenSSL and
// Asio's SSL layer keep their own buffers per connection, and Asio's stream
// completes a read with the plaintext already copied, so unlike the plain
// path (a worker-wide buffer filled only after readiness) each connection
// owns a small plaintext buffer for its one pending read.
struct TlsTransport {
  static constexpr std::size_t kReadBytes = 4096;
  explicit TlsTransport(TlsStream&& s) : stream(std::move(s)) {}
  TlsStream stream;
  std::unique_ptr<char[]> read_buffer = std::make_unique_for_overwrite<char[]>(kReadBytes);
};

}  // namespace herald::net
