#include "net/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "net/http_session.hpp"
#include "net/server_state.hpp"
#include "util/worker_pool.hpp"

namespace herald::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// Whether accepted sockets inherit the listener's TCP_NODELAY (Linux does),
// asked of the first accepted socket only: saves a setsockopt per
// connection, and a kernel that does not inherit it still gets it set.
bool nodelay_inherited(const WsConnection::Socket& first) {
  static const bool inherited = [&] {
    tcp::no_delay option;
    boost::system::error_code ec;
    first.get_option(option, ec);
    return !ec && option.value();
  }();
  return inherited;
}

asio::awaitable<void> accept_loop(std::shared_ptr<Server::State> state, unsigned worker) {
  tcp::acceptor& acceptor = *state->acceptors[worker];
  auto executor = co_await asio::this_coro::executor;
  auto& context = static_cast<asio::io_context&>(asio::query(executor, asio::execution::context));
  for (;;) {
    // Accepted straight into the io_context-bound type WsConnection keeps,
    // with the peer's address from accept itself (no getpeername later).
    tcp::endpoint peer;
    auto [ec, socket] =
        co_await acceptor.async_accept(context, peer, asio::as_tuple(asio::use_awaitable));
    if (!state->accepting.load()) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // EMFILE and friends: back off briefly instead of spinning.
      spdlog::warn("accept failed: {}", ec.message());
      asio::steady_timer pause(executor, std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    boost::system::error_code ignored;
    if (!nodelay_inherited(socket)) socket.set_option(tcp::no_delay(true), ignored);
    // Non-blocking for good now: Asio then skips its own FIONBIO at the
    // first asynchronous read, and WsConnection's direct reads and writes
    // need it anyway. One ioctl per connection instead of two.
    socket.non_blocking(true, ignored);
    asio::co_spawn(executor, run_http_session(std::move(socket), peer.address().to_string(), state, worker),
                   asio::detached);
  }
}

}  // namespace

Server::Server(ServerOptions options, util::WorkerPool& workers, const api::Router& router,
               SessionHandler& handler)
    : state_(std::make_shared<State>(std::move(options), router, handler)), workers_(workers) {}

Server::~Server() = default;

void Server::start() {
  auto address = asio::ip::make_address(state_->options.host);
  std::uint16_t port = state_->options.port;
  for (unsigned w = 0; w < workers_.size(); ++w) {
    auto acceptor = std::make_unique<tcp::acceptor>(workers_.context(w));
    tcp::endpoint endpoint(address, port);
    acceptor->open(endpoint.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    acceptor->set_option(reuse_port(true));
    // Linux hands TCP_NODELAY on to accepted sockets (checked once, below).
    acceptor->set_option(tcp::no_delay(true));
    acceptor->bind(endpoint);
    acceptor->listen(asio::socket_base::max_listen_connections);
    // With port 0 the first bind picks a port; the others join it.
    port = acceptor->local_endpoint().port();
    state_->acceptors.push_back(std::move(acceptor));
  }
  bound_port_ = port;
  for (unsigned w = 0; w < workers_.size(); ++w) {
    asio::co_spawn(workers_.context(w), accept_loop(state_, w), asio::detached);
  }
}

void Server::stop_accepting() {
  state_->accepting.store(false);
  for (unsigned w = 0; w < workers_.size(); ++w) {
    workers_.post(w, [state = state_, w] {
      boost::system::error_code ignored;
      state->acceptors[w]->close(ignored);
    });
  }
}

}  // namespace herald::net
