#pragma once
// The listening side: one acceptor per worker on the same port
// (SO_REUSEPORT, so the kernel spreads connections across workers), and
// per connection an HTTP session that serves REST through the api::Router
// or upgrades /api/v1/ws to a WebSocket handed to the SessionHandler.
// A connection over the caps (connection_limits.hpp) is answered 503 at
// accept and closed, before any session exists for it.
// With a TlsContext every connection is TLS (https, wss): one port speaks
// one protocol; the handshake's context is taken at accept, so a reload
// (TlsContext::reload) affects only connections accepted after it.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "net/connection_limits.hpp"
#include "net/session.hpp"

namespace herald::api {
class Router;
}
namespace herald::util {
class WorkerPool;
}

namespace herald::net {

class TlsContext;

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;
  std::size_t max_http_body_bytes = 1024 * 1024;
  std::vector<std::string> allowed_origins;  // empty: any origin
  TransportLimits transport;
  ConnectionCaps connection_caps;
  int http_header_timeout_s = 10;  // a request's whole header, from its start
  int http_idle_timeout_s = 15;    // keep-alive wait for the next request
  std::shared_ptr<TlsContext> tls;  // null: plain HTTP and WebSocket
  // The first connection id. A cluster node starts at its own random high
  // bits, so no id names a connection on another node (docs/CLUSTER.md).
  std::uint64_t first_connection_id = 1;
};

class Server {
 public:
  Server(ServerOptions options, util::WorkerPool& workers, const api::Router& router,
         SessionHandler& handler);
  ~Server();

  // Binds and listens on every worker; throws on failure (port in use).
  void start();
  // Stops accepting; established connections are left to the handler.
  void stop_accepting();
  std::uint16_t port() const { return bound_port_; }
  // Open TCP connections (HTTP and WebSocket) counted against the caps.
  std::size_t open_connections() const;

  struct State;  // shared with the per-connection coroutines (server.cpp)

 private:
  std::shared_ptr<State> state_;
  util::WorkerPool& workers_;
  std::uint16_t bound_port_ = 0;
};

}  // namespace herald::net
