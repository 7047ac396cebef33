// HTTP/1.1 on one accepted socket (Beast): keep-alive REST requests routed
// through api::Router, and the WebSocket upgrade of /api/v1/ws. After the
// 101 the socket leaves Beast for our WsConnection frame layer (lean, see
// ws_connection.hpp), together with any bytes already read past the request.
#include "net/http_session.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/parse_query.hpp>
#include <spdlog/spdlog.h>

#include "api/http.hpp"
#include "net/server_state.hpp"
#include "net/ws_connection.hpp"
#include "net/ws_handshake.hpp"
#include "store/database.hpp"

namespace herald::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kIdleTimeout = std::chrono::seconds(60);
constexpr std::size_t kMaxHeaderBytes = 16 * 1024;

// The stream over the worker-bound socket type, so that release_socket()
// hands WsConnection the same socket (and reactor registration).
using Stream = beast::basic_stream<tcp, asio::io_context::executor_type>;
using BeastRequest = http::request<http::string_body>;
using BeastResponse = http::response<http::string_body>;

BeastResponse to_beast(const api::Response& r, unsigned version, bool keep_alive) {
  BeastResponse res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "herald/" HERALD_VERSION);
  if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
  for (const auto& [name, value] : r.headers) res.set(name, value);
  res.keep_alive(keep_alive);
  res.body() = r.body;
  res.prepare_payload();
  return res;
}

bool origin_allowed(const ServerOptions& options, std::string_view origin) {
  // Non-browser clients send no Origin; the allow-list guards browsers.
  if (options.allowed_origins.empty() || origin.empty()) return true;
  return std::find(options.allowed_origins.begin(), options.allowed_origins.end(), origin) !=
         options.allowed_origins.end();
}

UpgradeInfo upgrade_info(const BeastRequest& req, std::string remote) {
  UpgradeInfo info;
  info.remote_address = std::move(remote);
  auto url = boost::urls::parse_origin_form(req.target());
  if (url) {
    for (auto p : url->params()) {
      if (p.key == "token") info.token = std::string(p.value);
      if (p.key == "since") info.since = std::string(p.value);
    }
  }
  if (info.token.empty()) {
    std::string_view auth = req[http::field::authorization];
    if (auth.size() > 7 && (auth.starts_with("Bearer ") || auth.starts_with("bearer "))) {
      info.token = std::string(auth.substr(7));
    }
  }
  return info;
}

std::string_view path_of(std::string_view target) {
  return target.substr(0, std::min(target.find('?'), target.size()));
}

// Answers the upgrade with 101 and hands the socket to a WsConnection, or
// answers 400/403/404/426 and returns false.
asio::awaitable<bool> upgrade(Stream& stream, beast::flat_buffer& buffer, BeastRequest& req,
                              const std::string& remote, Server::State& state, unsigned worker) {
  auto refuse = [&](http::status status, std::string_view detail) -> asio::awaitable<bool> {
    api::Response r = api::error_response(static_cast<int>(status), detail);
    // RFC 6455 4.4: a version we do not speak is answered with the one we do.
    if (status == http::status::upgrade_required) {
      r.headers.emplace_back("Sec-WebSocket-Version", std::string(kWebSocketVersion));
    }
    auto res = to_beast(r, req.version(), false);
    co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    co_return false;
  };
  if (path_of(req.target()) != "/api/v1/ws") co_return co_await refuse(http::status::not_found, "Not Found");
  if (!origin_allowed(state.options, req[http::field::origin])) {
    spdlog::info("ws refused origin={}", std::string(req[http::field::origin]));
    co_return co_await refuse(http::status::forbidden, "Origin not allowed");
  }
  if (req.method() != http::verb::get) {
    co_return co_await refuse(http::status::bad_request, "WebSocket upgrade must be a GET");
  }
  // Absent counts as wrong too: the client learns the version either way.
  if (req[http::field::sec_websocket_version] != kWebSocketVersion) {
    co_return co_await refuse(http::status::upgrade_required, "Unsupported Sec-WebSocket-Version");
  }
  std::string_view key = req[http::field::sec_websocket_key];
  if (!valid_websocket_key(key)) {
    co_return co_await refuse(http::status::bad_request,
                              "Sec-WebSocket-Key must be the base64 encoding of 16 bytes");
  }
  std::string response =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: " + websocket_accept_key(key) + "\r\n\r\n";
  stream.expires_never();

  UpgradeInfo info = upgrade_info(req, remote);
  std::string leftover(static_cast<const char*>(buffer.data().data()), buffer.size());
  ConnectionId id{state.next_connection_id.fetch_add(1, std::memory_order_relaxed)};
  auto session = std::make_shared<WsConnection>(stream.release_socket(), worker, id,
                                                state.options.transport);
  // The 101 goes out with the first frames (`connected`, or the close of a
  // refused token) in one write: one system call and one TCP segment less.
  session->send_handshake_response(std::move(response));
  auto observer = state.handler.on_open(session, std::move(info));
  session->start(std::move(observer), leftover);
  co_return true;
}

api::Request to_api(BeastRequest& req, std::string remote) {
  api::Request r;
  r.method = std::string(req.method_string());
  std::string_view target = req.target();
  auto q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  auto decoded = boost::urls::parse_origin_form(target);
  r.path = decoded ? std::string(decoded->path()) : std::string(raw_path);
  r.query = q == std::string_view::npos ? "" : std::string(target.substr(q + 1));
  r.body = std::move(req.body());
  r.content_type = std::string(req[http::field::content_type]);
  r.authorization = std::string(req[http::field::authorization]);
  r.api_key = std::string(req["X-API-Key"]);
  r.remote_address = std::move(remote);
  return r;
}

}  // namespace

asio::awaitable<void> run_http_session(WsConnection::Socket socket, std::string remote,
                                       std::shared_ptr<Server::State> state, unsigned worker) {
  Stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(state->options.max_http_body_bytes);
    parser.header_limit(kMaxHeaderBytes);
    stream.expires_after(kIdleTimeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (ec == http::error::body_limit) {
      auto res = to_beast(api::error_response(413, "Request body too large"), 11, false);
      co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
      break;
    }
    if (ec) break;  // closed, timed out or malformed: nothing useful to answer
    BeastRequest req = parser.release();
    if (beast::websocket::is_upgrade(req)) {
      co_await upgrade(stream, buffer, req, remote, *state, worker);
      co_return;  // the socket now belongs to the WsConnection (or is refused)
    }
    bool keep_alive = req.keep_alive();
    unsigned version = req.version();
    api::Request request = to_api(req, remote);
    api::Response response;
    try {
      response = co_await state->router.route(request);
    } catch (const store::StorageError& e) {
      spdlog::error("storage error on {} {}: {}", request.method, request.path, e.what());
      response = api::error_response(503, "Storage unavailable");
    } catch (const std::exception& e) {
      spdlog::error("handler error on {} {}: {}", request.method, request.path, e.what());
      response = api::error_response(500, "Internal Server Error");
    }
    auto res = to_beast(response, version, keep_alive);
    auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    if (wec || !keep_alive) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace herald::net
