#pragma once
// One accepted TCP connection: HTTP/1.1 keep-alive requests to the REST
// router, until a WebSocket upgrade hands the socket to a WsConnection.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "net/server.hpp"

namespace herald::net {

boost::asio::awaitable<void> run_http_session(boost::asio::ip::tcp::socket socket,
                                              std::shared_ptr<Server::State> state,
                                              unsigned worker);

}  // namespace herald::net
