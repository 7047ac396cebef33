#include "net/server.hpp"

#include <atomic>
#include <chrono>
#include <string_view>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/http_session.hpp"
#include "net/server_state.hpp"
#include "net/tls_context.hpp"
#include "util/metrics.hpp"
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

std::string refusal_response(std::string_view detail) {
  const std::string body = fmt::format("{{\"detail\":\"{}\"}}", detail);
  return fmt::format(
      "HTTP/1.1 503 Service Unavailable\r\nServer: herald/{}\r\nContent-Type: application/json\r\n"
      "Content-Length: {}\r\nConnection: close\r\n\r\n{}",
      HERALD_VERSION, body.size(), body);
}

// A refusal costs what the accept already cost and nothing more: the answer
// is written at once on the fresh (empty) socket buffer, without reading a
// request or waiting for the client, and the socket is closed. What the
// client already sent is read first, so the close is a FIN, not a reset
// that could destroy the answer.
void refuse_at_accept(WsConnection::Socket& socket, ConnectionRefusal why) {
  const bool per_address = why == ConnectionRefusal::per_address;
  util::metrics().connection_refused(per_address ? "per_address" : "total");
  static const std::string kPerAddress = refusal_response("Too many connections from this address");
  static const std::string kTotal = refusal_response("Server is at its connection limit");
  boost::system::error_code ec;
  char sink[4096];
  for (int i = 0; i < 16 && socket.available(ec) > 0 && !ec; ++i) socket.read_some(asio::buffer(sink), ec);
  socket.write_some(asio::buffer(per_address ? kPerAddress : kTotal), ec);
  socket.shutdown(tcp::socket::shutdown_send, ec);
  socket.close(ec);

  // One warning a minute at most: a flood of refusals must not flood the log.
  static std::atomic<std::int64_t> last_warning_s{-60};
  const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count();
  std::int64_t last = last_warning_s.load(std::memory_order_relaxed);
  if (now_s - last >= 60 && last_warning_s.compare_exchange_strong(last, now_s)) {
    spdlog::warn("connection refused: {} (counted in herald_connections_refused_total; "
                 "raise --max-connections{} if legitimate)",
                 per_address ? "too many from one address" : "server at its connection limit",
                 per_address ? "-per-address" : "");
  }
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
    // Non-blocking for good now: Asio then skips its own FIONBIO at the
    // first asynchronous read, and WsConnection's direct reads and writes
    // need it anyway. One ioctl per connection instead of two.
    socket.non_blocking(true, ignored);
    auto slot = state->limiter->admit(peer.address());
    if (!slot) {
      refuse_at_accept(socket, slot.error());
      continue;
    }
    if (!nodelay_inherited(socket)) socket.set_option(tcp::no_delay(true), ignored);
    if (state->options.tls) {
      asio::co_spawn(executor,
                     run_https_session(std::move(socket), state->options.tls->current(),
                                       peer.address().to_string(), std::move(*slot), state, worker),
                     asio::detached);
      continue;
    }
    asio::co_spawn(executor,
                   run_http_session(std::move(socket), peer.address().to_string(), std::move(*slot),
                                    state, worker),
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

std::size_t Server::open_connections() const { return state_->limiter->open_connections(); }

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
