#pragma once
// One accepted TCP connection: HTTP/1.1 keep-alive requests to the REST
// router, until a WebSocket upgrade hands the socket to a WsConnection.
// Plain or over TLS (https, wss), the same session.
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "net/connection_limits.hpp"
#include "net/server.hpp"
#include "net/ws_connection.hpp"

namespace boost::asio::ssl {
class context;
}

namespace herald::net {

// `socket` is bound to its worker's io_context, the type WsConnection
// keeps, and already non-blocking; `remote` is the peer's address, as
// accept returned it; `slot` its place under the connection caps, held
// until the socket closes (by the WsConnection after an upgrade).
boost::asio::awaitable<void> run_http_session(WsConnection::Socket socket, std::string remote,
                                              ConnectionSlot slot,
                                              std::shared_ptr<Server::State> state,
                                              unsigned worker);

// The same over TLS: the handshake with `tls` (within the header deadline),
// then HTTP over the SSL stream.
boost::asio::awaitable<void> run_https_session(WsConnection::Socket socket,
                                               std::shared_ptr<boost::asio::ssl::context> tls,
                                               std::string remote, ConnectionSlot slot,
                                               std::shared_ptr<Server::State> state,
                                               unsigned worker);

}  // namespace herald::net
