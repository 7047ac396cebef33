#pragma once
// What every HTTP session of a Server shares (read-only after start, except
// the connection id counter and the limiter's counts).
#include <atomic>
#include <memory>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "api/router.hpp"
#include "net/server.hpp"

namespace herald::net {

struct Server::State {
  State(ServerOptions o, const api::Router& r, SessionHandler& h)
      : options(std::move(o)),
        limiter(ConnectionLimiter::make(options.connection_caps)),
        router(r),
        handler(h),
        next_connection_id(options.first_connection_id) {}
  ServerOptions options;
  std::shared_ptr<ConnectionLimiter> limiter;
  const api::Router& router;
  SessionHandler& handler;
  std::atomic<std::uint64_t> next_connection_id;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors;
  std::atomic<bool> accepting{true};
};

}  // namespace herald::net
