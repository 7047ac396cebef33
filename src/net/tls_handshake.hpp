#pragma once
// The server side of a TLS handshake on a new connection, under the
// deadline already set on the stream's basic_stream (the HTTP header
// deadline, counted from accept: a client that stalls the handshake holds
// its descriptor no longer than one that stalls its request header).
//
// A plain HTTP request sent to the TLS port is answered in plain HTTP with
// 400 and a line saying to use https:// or wss://, instead of a bare reset:
// OpenSSL recognises it from the first bytes and sends no alert, so the
// socket is still clean for the answer. Any other failure (wrong version,
// no shared cipher, no shared ALPN protocol, deadline) just closes.
#include <boost/asio/awaitable.hpp>

#include "net/tls_stream.hpp"

namespace herald::net {

// True when the handshake completed; false when it failed and the
// connection has been answered or given up (the caller only drops it).
boost::asio::awaitable<bool> tls_handshake(TlsStream& stream);

}  // namespace herald::net
