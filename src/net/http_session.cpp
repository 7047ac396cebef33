// HTTP/1.1 on one accepted socket (Beast): keep-alive REST requests routed
// through api::Router, and the WebSocket upgrade of /api/v1/ws. After the
// 101 the socket leaves Beast for our WsConnection frame layer (lean, see
// ws_connection.hpp), together with any bytes already read past the request.
// The same code serves TLS connections (https, wss): the handshake first
// (tls_handshake.hpp), then this session over the SSL stream, which after an
// upgrade moves whole into the WsConnection.
//
// Deadlines, so a connection is never held for free: a request's header must
// be complete within http_header_timeout_s of the connection's start (first
// request) or of its first byte (later ones), however slowly it trickles in;
// a keep-alive connection waits at most http_idle_timeout_s for that first
// byte. Beast's basic_stream deadline is a point in time for every read
// until it is moved, not a timeout per read, which is what makes it whole-
// header. The body and the response get fixed, generous deadlines.
#include "net/http_session.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <tuple>
#include <type_traits>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/flat_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/parse_query.hpp>
#include <spdlog/spdlog.h>

#include "api/http.hpp"
#include "net/server_state.hpp"
#include "net/tls_handshake.hpp"
#include "net/tls_stream.hpp"
#include "net/ws_connection.hpp"
#include "net/ws_handshake.hpp"

namespace herald::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
// A body of up to max_http_body_bytes (1 MiB) over a slow mobile link.
constexpr auto kBodyTimeout = std::chrono::seconds(60);
// A client that reads its response this slowly is not worth a descriptor.
constexpr auto kWriteTimeout = std::chrono::seconds(30);
// Lingering close after an error answer (see linger_close).
constexpr auto kLingerTimeout = std::chrono::seconds(2);
constexpr std::size_t kMaxLingerBytes = 64 * 1024;
// The first read of a keep-alive request: enough for a typical header.
constexpr std::size_t kFirstReadBytes = 1024;

// Both connection types: Beast's basic_stream over the worker-bound socket
// type (so release_socket() hands WsConnection the same socket and reactor
// registration), and the SSL stream over that (tls_stream.hpp). The
// session is written once for both; deadlines live on the basic_stream,
// which is the lowest layer of either.
using PlainStream = HttpStream;
template <class Stream>
constexpr bool kIsTls = std::is_same_v<Stream, TlsStream>;

template <class Stream>
HttpStream& deadlines(Stream& stream) {
  return beast::get_lowest_layer(stream);
}

using BeastRequest = http::request<http::string_body>;
using BeastResponse = http::response<http::string_body>;

// A HEAD answer carries the GET answer's headers, Content-Length included,
// and no body (RFC 9110 9.3.2).
BeastResponse to_beast(const api::Response& r, unsigned version, bool keep_alive, bool head = false) {
  BeastResponse res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "herald/" HERALD_VERSION);
  if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
  for (const auto& [name, value] : r.headers) res.set(name, value);
  res.keep_alive(keep_alive);
  res.body() = r.body;
  res.prepare_payload();
  if (head) res.body().clear();
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

// Writes one response. Over TLS through a flat_stream: Asio's SSL stream
// encrypts one buffer per write, and Beast's serializer hands it several
// (status line, fields, body), which would be one TLS record and one
// system call each; flat_stream joins small sequences into one buffer.
template <class Stream>
asio::awaitable<boost::system::error_code> write_response(Stream& stream, BeastResponse& res) {
  deadlines(stream).expires_after(kWriteTimeout);
  if constexpr (kIsTls<Stream>) {
    beast::flat_stream<Stream&> flat(stream);
    auto [ec, n] = co_await http::async_write(flat, res, asio::as_tuple(asio::use_awaitable));
    co_return ec;
  } else {
    auto [ec, n] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    co_return ec;
  }
}

// Writes an error answer that ends the connection (Connection: close).
template <class Stream>
asio::awaitable<void> answer_error(Stream& stream, api::Response r, unsigned version) {
  auto res = to_beast(r, version, false);
  co_await write_response(stream, res);
}

// After an error answer the client may still be sending (the rest of a
// header or body we refused, frames pipelined after an upgrade). Closing
// with unread bytes makes the kernel reset the connection, and a client
// still blocked writing then sees the reset instead of our answer. So: our
// side shut down, then read and discard for a short while (RFC 9112 9.6).
// Over TLS the same reads go through the SSL stream (the client's bytes are
// records), after a TCP FIN without close_notify: the answer carries its
// length, so nothing is lost to a truncation attack.
template <class Stream>
asio::awaitable<void> linger_close(Stream& stream) {
  boost::system::error_code ignored;
  deadlines(stream).socket().shutdown(tcp::socket::shutdown_send, ignored);
  deadlines(stream).expires_after(kLingerTimeout);
  std::array<char, 2048> sink;
  for (std::size_t total = 0; total < kMaxLingerBytes;) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
    if (ec) break;
    total += n;
  }
}

// The WebSocket takes the socket (plain) or the whole SSL stream (TLS).
std::shared_ptr<WsConnection> make_ws_connection(PlainStream& stream, unsigned worker, ConnectionId id,
                                                 const TransportLimits& limits, ConnectionSlot slot) {
  return std::make_shared<WsConnection>(stream.release_socket(), worker, id, limits, std::move(slot));
}
std::shared_ptr<WsConnection> make_ws_connection(TlsStream& stream, unsigned worker, ConnectionId id,
                                                 const TransportLimits& limits, ConnectionSlot slot) {
  return std::make_shared<WsConnection>(std::make_unique<TlsTransport>(std::move(stream)), worker, id,
                                        limits, std::move(slot));
}

// Answers the upgrade with 101 and hands the socket to a WsConnection, or
// answers 400/403/404/426 and returns false.
template <class Stream>
asio::awaitable<bool> upgrade(Stream& stream, beast::flat_buffer& buffer, BeastRequest& req,
                              const std::string& remote, ConnectionSlot& slot, Server::State& state,
                              unsigned worker) {
  auto refuse = [&](http::status status, std::string_view detail) -> asio::awaitable<bool> {
    api::Response r = api::error_response(static_cast<int>(status), detail);
    // RFC 6455 4.4: a version we do not speak is answered with the one we do.
    if (status == http::status::upgrade_required) {
      r.headers.emplace_back("Sec-WebSocket-Version", std::string(kWebSocketVersion));
    }
    co_await answer_error(stream, std::move(r), req.version());
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
  deadlines(stream).expires_never();

  UpgradeInfo info = upgrade_info(req, remote);
  std::string leftover(static_cast<const char*>(buffer.data().data()), buffer.size());
  ConnectionId id{state.next_connection_id.fetch_add(1, std::memory_order_relaxed)};
  auto session = make_ws_connection(stream, worker, id, state.options.transport, std::move(slot));
  // The 101 goes out with the first frames (`connected`, or the close of a
  // refused token) in one write: one system call and one TCP segment less.
  session->send_handshake_response(std::move(response));
  auto observer = state.handler.on_open(session, std::move(info));
  session->start(std::move(observer), leftover);
  co_return true;
}

// Reads a request's header into `parser`, at most kMaxHeaderBytes in all
// (else http::error::header_limit). Beast 1.81's own header_limit counts
// only what is still buffered, and its parser consumes complete lines early
// when a read leaves under 3 bytes of the next one, so a client whose every
// read ended one byte into the next line passed a header of any size
// (found by tests/fuzz/http_fuzz). Here the parser gets a read at a time
// and its limit shrinks by what it has consumed; a header that completes in
// one put (start line and fields measured apart) is checked at the end.
template <class Stream>
asio::awaitable<beast::error_code> read_header(Stream& stream, beast::flat_buffer& buffer,
                                               http::request_parser<http::string_body>& parser) {
  std::size_t consumed = 0;
  for (;;) {
    if (buffer.size() > 0) {
      beast::error_code ec;
      parser.header_limit(static_cast<std::uint32_t>(kMaxHeaderBytes - consumed));
      const std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      consumed += used;
      if (parser.is_header_done()) {
        if (consumed > kMaxHeaderBytes) co_return http::error::header_limit;
        co_return ec == http::error::need_more ? beast::error_code() : ec;
      }
      if (ec != http::error::need_more) co_return ec;
      if (consumed >= kMaxHeaderBytes) co_return http::error::header_limit;
    }
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(beast::read_size(buffer, 65536)),
                                                   asio::as_tuple(asio::use_awaitable));
    if (ec) co_return ec;  // closed or timed out: the caller closes too
    buffer.commit(n);
  }
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

template <class Stream>
Stream make_stream(WsConnection::Socket socket, asio::ssl::context* tls) {
  if constexpr (kIsTls<Stream>) {
    return Stream(PlainStream(std::move(socket)), *tls);
  } else {
    return Stream(std::move(socket));
  }
}

// One connection's whole HTTP life, for either stream type. `tls` is the
// context of a TLS connection's handshake (null for plain), taken at accept,
// so a certificate reload never touches a connection already accepted
// (after the handshake OpenSSL's own reference keeps it alive too).
template <class Stream>
asio::awaitable<void> run_session(WsConnection::Socket socket, std::shared_ptr<asio::ssl::context> tls,
                                  std::string remote, ConnectionSlot slot,
                                  std::shared_ptr<Server::State> state, unsigned worker) {
  Stream stream = make_stream<Stream>(std::move(socket), tls.get());
  beast::flat_buffer buffer;
  const auto header_timeout = std::chrono::seconds(state->options.http_header_timeout_s);
  const auto idle_timeout = std::chrono::seconds(state->options.http_idle_timeout_s);
  // The first request's header is due header_timeout after accept; over
  // TLS the handshake comes out of the same time.
  deadlines(stream).expires_after(header_timeout);
  if constexpr (kIsTls<Stream>) {
    if (!co_await tls_handshake(stream)) co_return;
  }
  bool linger = false;  // closing after an error answer
  for (bool first = true;; first = false) {
    if (!first) {
      if (buffer.size() == 0) {
        // Keep-alive: wait for the next request's first bytes.
        deadlines(stream).expires_after(idle_timeout);
        auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kFirstReadBytes),
                                                       asio::as_tuple(asio::use_awaitable));
        if (ec) break;  // closed by the client, or idle too long
        buffer.commit(n);
      }
      deadlines(stream).expires_after(header_timeout);
    }
    http::request_parser<http::string_body> parser;
    parser.body_limit(state->options.max_http_body_bytes);
    beast::error_code ec = co_await read_header(stream, buffer, parser);
    if (!ec && !parser.is_done()) {
      deadlines(stream).expires_after(kBodyTimeout);
      auto [body_ec, body_n] =
          co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
      ec = body_ec;
    }
    if (ec == http::error::header_limit) {
      co_await answer_error(stream, api::error_response(431, "Request Header Fields Too Large"), 11);
      linger = true;
      break;
    }
    if (ec == http::error::body_limit) {
      co_await answer_error(stream, api::error_response(413, "Request body too large"), 11);
      linger = true;
      break;
    }
    if (ec) break;  // closed, timed out or malformed: nothing useful to answer
    BeastRequest req = parser.release();
    if (beast::websocket::is_upgrade(req)) {
      if (co_await upgrade(stream, buffer, req, remote, slot, *state, worker)) {
        co_return;  // the socket (and its slot) now belong to the WsConnection
      }
      linger = true;
      break;
    }
    bool keep_alive = req.keep_alive();
    unsigned version = req.version();
    api::Request request = to_api(req, remote);
    // The router answers every failure itself (503, 500): it never throws.
    api::Response response = co_await state->router.route(request);
    auto res = to_beast(response, version, keep_alive, request.method == "HEAD");
    if (co_await write_response(stream, res) || !keep_alive) break;
  }
  if (linger) {
    co_await linger_close(stream);
  } else {
    boost::system::error_code ignored;
    deadlines(stream).socket().shutdown(tcp::socket::shutdown_send, ignored);
  }
}

}  // namespace

asio::awaitable<void> run_http_session(WsConnection::Socket socket, std::string remote,
                                       ConnectionSlot slot, std::shared_ptr<Server::State> state,
                                       unsigned worker) {
  return run_session<PlainStream>(std::move(socket), nullptr, std::move(remote), std::move(slot),
                                  std::move(state), worker);
}

asio::awaitable<void> run_https_session(WsConnection::Socket socket,
                                        std::shared_ptr<asio::ssl::context> tls, std::string remote,
                                        ConnectionSlot slot, std::shared_ptr<Server::State> state,
                                        unsigned worker) {
  return run_session<TlsStream>(std::move(socket), std::move(tls), std::move(remote), std::move(slot),
                                std::move(state), worker);
}

}  // namespace herald::net
