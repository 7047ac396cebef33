#include "net/tls_handshake.hpp"

#include <array>
#include <chrono>
#include <string_view>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

namespace herald::net {

namespace asio = boost::asio;

namespace {

constexpr auto kAnswerTimeout = std::chrono::seconds(5);
constexpr auto kLingerTimeout = std::chrono::seconds(2);
constexpr std::size_t kMaxLingerBytes = 64 * 1024;

bool plain_http_request(const boost::system::error_code& ec) {
  if (ec.category() != asio::error::get_ssl_category()) return false;
  const auto reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
  return reason == SSL_R_HTTP_REQUEST || reason == SSL_R_HTTPS_PROXY_REQUEST;
}

const std::string& plain_http_answer() {
  static const std::string answer = [] {
    const std::string body =
        R"({"detail":"This port speaks TLS: use https:// or wss://"})";
    return fmt::format(
        "HTTP/1.1 400 Bad Request\r\nServer: herald/{}\r\nContent-Type: application/json\r\n"
        "Content-Length: {}\r\nConnection: close\r\n\r\n{}",
        HERALD_VERSION, body.size(), body);
  }();
  return answer;
}

// The 400 on the bare TCP stream, then a lingering close (as http_session's
// after an error answer): the rest of the request is read and dropped, so
// the close is a FIN and the client reads the answer rather than a reset.
asio::awaitable<void> answer_plain_http(HttpStream& tcp) {
  tcp.expires_after(kAnswerTimeout);
  auto [wec, wn] = co_await asio::async_write(tcp, asio::buffer(plain_http_answer()),
                                              asio::as_tuple(asio::use_awaitable));
  if (wec) co_return;
  boost::system::error_code ignored;
  tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  tcp.expires_after(kLingerTimeout);
  std::array<char, 2048> sink;
  for (std::size_t total = 0; total < kMaxLingerBytes;) {
    auto [ec, n] = co_await tcp.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
    if (ec) break;
    total += n;
  }
}

}  // namespace

asio::awaitable<bool> tls_handshake(TlsStream& stream) {
  auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server,
                                              asio::as_tuple(asio::use_awaitable));
  if (!ec) co_return true;
  // Failed handshakes are routine on a public port (scanners, old clients):
  // debug, not a warning per connection.
  spdlog::debug("tls handshake failed: {}", ec.message());
  if (plain_http_request(ec)) co_await answer_plain_http(stream.next_layer());
  co_return false;
}

}  // namespace herald::net
