#pragma once
// Test support for WsConnection: a real loopback TCP pair. The server side
// gets a hand-written 101 and is handed to a WsConnection running on its own
// io_context thread (the "worker"); the test drives the client side with
// raw, hand-framed, masked bytes over a blocking socket with a read timeout.
// With tls_ set (WsConnectionTlsTest) the pair first makes a TLS handshake
// (a self-signed certificate through TlsContext), the server side becomes a
// TlsTransport, and the client reads and writes through OpenSSL directly.
#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <csignal>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <boost/asio.hpp>
#include <openssl/ssl.h>

#include "net/tls_context.hpp"
#include "net/tls_stream.hpp"
#include "net/ws_connection.hpp"
#include "tls_test_cert.hpp"

namespace herald::net::test {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Builds one client frame: masked, FIN/RSV/opcode as given.
inline std::string client_frame(std::uint8_t opcode, std::string_view payload, bool fin = true,
                                std::uint8_t rsv = 0, std::array<std::uint8_t, 4> key = {0x37, 0xfa, 0x21, 0x3d}) {
  std::string out;
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | (rsv << 4) | opcode));
  const std::uint64_t len = payload.size();
  if (len < 126) {
    out.push_back(static_cast<char>(0x80 | len));
  } else if (len <= 0xFFFF) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(len >> 8));
    out.push_back(static_cast<char>(len & 0xFF));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((len >> (8 * i)) & 0xFF));
  }
  out.append(reinterpret_cast<const char*>(key.data()), 4);
  for (std::size_t i = 0; i < payload.size(); ++i) out.push_back(static_cast<char>(payload[i] ^ key[i & 3]));
  return out;
}

// A header alone announcing `len` payload bytes (the payload never follows).
inline std::string client_header_only(std::uint8_t opcode, std::uint64_t len, bool fin = true) {
  // The same minimal length encoding as a full frame, minus the payload.
  std::string out = client_frame(opcode, std::string(len < 126 ? len : 0, 'x'), fin);
  if (len < 126) return out.substr(0, 6);
  out.resize(1);
  if (len <= 0xFFFF) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(len >> 8));
    out.push_back(static_cast<char>(len & 0xFF));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((len >> (8 * i)) & 0xFF));
  }
  out.append("\x01\x02\x03\x04", 4);
  return out;
}

inline std::string close_body(std::uint16_t code, std::string_view reason = {}) {
  std::string b{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  b.append(reason);
  return b;
}

struct ServerFrame {
  bool fin = false;
  std::uint8_t opcode = 0xFF;  // 0xFF: nothing arrived (timeout or EOF)
  std::string payload;
  std::uint16_t close_code() const {
    if (payload.size() < 2) return 1005;
    return static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                      static_cast<std::uint8_t>(payload[1]));
  }
};

// Records the observer callbacks; checks they come on the worker thread.
class RecordingObserver : public SessionObserver {
 public:
  void on_text(std::string_view text) override {
    std::lock_guard lock(mu_);
    check_thread();
    if (closed_count_ > 0) ++calls_after_close_;
    texts_.emplace_back(text);
    cv_.notify_all();
  }
  void on_closed(std::uint16_t code) override {
    std::lock_guard lock(mu_);
    check_thread();
    ++closed_count_;
    code_ = code;
    cv_.notify_all();
  }
  std::optional<std::uint16_t> wait_closed(std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return closed_count_ > 0; });
    return code_;
  }
  bool wait_texts(std::size_t n, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return texts_.size() >= n; });
  }
  std::vector<std::string> texts() {
    std::lock_guard lock(mu_);
    return texts_;
  }
  int closed_count() {
    std::lock_guard lock(mu_);
    return closed_count_;
  }
  int calls_after_close() {
    std::lock_guard lock(mu_);
    return calls_after_close_;
  }
  int wrong_thread_calls() {
    std::lock_guard lock(mu_);
    return wrong_thread_;
  }
  std::thread::id worker_thread;

 private:
  void check_thread() {
    if (std::this_thread::get_id() != worker_thread) ++wrong_thread_;
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> texts_;
  std::optional<std::uint16_t> code_;
  int closed_count_ = 0;
  int calls_after_close_ = 0;
  int wrong_thread_ = 0;
};

class WsConnectionTest : public ::testing::Test {
 protected:
  void TearDown() override { stop(); }
  ~WsConnectionTest() override {
    if (client_ssl_ != nullptr) SSL_free(client_ssl_);
    if (client_ctx_ != nullptr) SSL_CTX_free(client_ctx_);
  }

  // Connects, writes the 101 by hand, creates the WsConnection; `before_start`
  // runs on the worker before start() (to test send/close queued early).
  void open(TransportLimits limits = {}, std::string leftover = {},
            std::function<void(WsConnection&)> before_start = {}, int client_rcvbuf = 0) {
    tcp::acceptor acceptor(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    if (client_rcvbuf > 0) {
      client_.open(tcp::v4());
      client_.set_option(asio::socket_base::receive_buffer_size(client_rcvbuf));
    }
    client_.connect(acceptor.local_endpoint());
    client_.set_option(tcp::no_delay(true));
    WsConnection::Socket server = acceptor.accept(ioc_);
    constexpr std::string_view k101 =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    set_client_timeout(5000);
    if (tls_) {
      conn_ = open_tls(std::move(server), k101, limits);
    } else {
      asio::write(server, asio::buffer(k101));
      std::string response;
      asio::read_until(client_, asio::dynamic_buffer(response), "\r\n\r\n");
      conn_ = std::make_shared<WsConnection>(std::move(server), 0, ConnectionId{7}, limits);
    }
    observer_ = std::make_shared<RecordingObserver>();
    worker_ = std::thread([this] {
      observer_->worker_thread = std::this_thread::get_id();
      ioc_.run();
    });
    on_worker([&] {
      if (before_start) before_start(*conn_);
      conn_->start(observer_, leftover);
    });
  }

  // The TLS handshake (server: Asio's stream on this thread; client:
  // OpenSSL on another), the 101 through it, then the WsConnection over the
  // stream, as http_session hands it over after an upgrade.
  std::shared_ptr<WsConnection> open_tls(WsConnection::Socket server, std::string_view response,
                                         const TransportLimits& limits) {
    static const PemPair pair = make_self_signed("ws-test", 1);
    CertDir dir;
    auto tls = TlsContext::load({dir.write("c.pem", pair.cert), dir.write("k.pem", pair.key)});
    EXPECT_TRUE(tls) << tls.error();
    auto context = (*tls)->current();
    TlsStream stream(HttpStream(std::move(server)), *context);
    client_ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(client_ctx_, SSL_VERIFY_NONE, nullptr);
    client_ssl_ = SSL_new(client_ctx_);
    SSL_set_fd(client_ssl_, client_.native_handle());
    // OpenSSL writes with write(2), and OpenSSL 3 answers an EOF without
    // close_notify (how the server ends) with an alert: on a socket the
    // server has closed that must fail as Asio's writes (MSG_NOSIGNAL) do,
    // not kill the test binary.
    std::signal(SIGPIPE, SIG_IGN);
    // A read timeout under OpenSSL's blocking reads (read_some polls first).
    timeval tv{timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000};
    ::setsockopt(client_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::thread client([this] { EXPECT_EQ(SSL_connect(client_ssl_), 1); });
    boost::system::error_code ec;
    stream.handshake(asio::ssl::stream_base::server, ec);
    client.join();
    EXPECT_FALSE(ec) << ec.message();
    asio::write(stream, asio::buffer(response));
    std::string head;
    char c;
    std::size_t got = 0;
    while (!head.ends_with("\r\n\r\n") && read_some(&c, 1, got) == ReadResult::ok) head.push_back(c);
    EXPECT_EQ(head, response);
    return std::make_shared<WsConnection>(std::make_unique<TlsTransport>(std::move(stream)), 0,
                                          ConnectionId{7}, limits);
  }

  void stop() {
    guard_.reset();
    ioc_.stop();
    if (worker_.joinable()) worker_.join();
  }

  // Runs fn on the worker thread and waits for it.
  template <class F>
  std::invoke_result_t<F&> on_worker(F&& fn) {
    std::packaged_task<std::invoke_result_t<F&>()> task(std::forward<F>(fn));
    auto result = task.get_future();
    asio::post(ioc_, [&task] { task(); });
    return result.get();
  }

  SendResult send(std::string text) {
    return on_worker([&] { return conn_->send(make_frame(std::move(text))); });
  }

  bool is_open() {
    return on_worker([&] { return conn_->is_open(); });
  }

  // Client reads give up after this long (poll + recv: Asio's blocking
  // reads would ignore SO_RCVTIMEO and wait forever).
  void set_client_timeout(int ms) { timeout_ms_ = ms; }

  void write_raw(std::string_view bytes) {
    if (client_ssl_ != nullptr) {
      if (!bytes.empty()) SSL_write(client_ssl_, bytes.data(), static_cast<int>(bytes.size()));
      return;
    }
    boost::system::error_code ec;
    asio::write(client_, asio::buffer(bytes), ec);
  }

  // Each byte in its own TCP segment (no_delay + a pause).
  void write_bytewise(std::string_view bytes) {
    for (char c : bytes) {
      write_raw(std::string_view(&c, 1));
      std::this_thread::sleep_for(1ms);
    }
  }

  enum class ReadResult { ok, timeout, closed };

  // Reads up to n bytes (at least 1) within the timeout.
  ReadResult read_some(char* out, std::size_t n, std::size_t& got) {
    if (client_ssl_ != nullptr) return read_some_tls(out, n, got);
    pollfd p{client_.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, timeout_ms_) <= 0) return ReadResult::timeout;
    const ssize_t r = ::recv(client_.native_handle(), out, n, 0);
    if (r <= 0) return ReadResult::closed;  // EOF or reset
    got = static_cast<std::size_t>(r);
    return ReadResult::ok;
  }

  // OpenSSL may hold decrypted bytes already; else wait for the socket.
  // The server ends TLS connections without close_notify, which OpenSSL
  // reports as an error: closed, as EOF is for plain.
  ReadResult read_some_tls(char* out, std::size_t n, std::size_t& got) {
    if (SSL_pending(client_ssl_) == 0) {
      pollfd p{client_.native_handle(), POLLIN, 0};
      if (::poll(&p, 1, timeout_ms_) <= 0) return ReadResult::timeout;
    }
    const int r = SSL_read(client_ssl_, out, static_cast<int>(n));
    if (r > 0) {
      got = static_cast<std::size_t>(r);
      return ReadResult::ok;
    }
    return SSL_get_error(client_ssl_, r) == SSL_ERROR_WANT_READ ? ReadResult::timeout : ReadResult::closed;
  }

  bool read_exact(char* out, std::size_t n) {
    while (n > 0) {
      std::size_t got = 0;
      if (read_some(out, n, got) != ReadResult::ok) return false;
      out += got;
      n -= got;
    }
    return true;
  }

  // One server frame; opcode 0xFF when none arrived in time or on EOF.
  // Server frames must never be masked.
  ServerFrame read_frame() {
    ServerFrame f;
    unsigned char h[2];
    if (!read_exact(reinterpret_cast<char*>(h), 2)) return f;
    EXPECT_EQ(h[1] & 0x80, 0) << "server frame masked";
    EXPECT_EQ(h[0] & 0x70, 0) << "server frame has RSV bits";
    std::uint64_t len = h[1] & 0x7F;
    if (len >= 126) {
      unsigned char ext[8];
      const std::size_t n = len == 126 ? 2 : 8;
      if (!read_exact(reinterpret_cast<char*>(ext), n)) return f;
      len = 0;
      for (std::size_t i = 0; i < n; ++i) len = (len << 8) | ext[i];
    }
    f.payload.resize(len);
    if (len > 0 && !read_exact(f.payload.data(), len)) return f;
    f.fin = (h[0] & 0x80) != 0;
    f.opcode = h[0] & 0x0F;
    return f;
  }

  // A barrier: sends a ping (allowed between fragments) and reads up to its
  // pong. The worker handles frames in order and calls on_text before it
  // reads the next frame, so once the pong is back every frame sent before
  // the ping has been consumed and delivered: a "nothing arrived" check
  // after this means something, where one after a sleep may only mean the
  // worker had not run yet. Server frames before the pong are skipped.
  void sync_with_ping(std::string_view payload) {
    write_raw(client_frame(0x9, payload));
    for (;;) {
      ServerFrame f = read_frame();
      ASSERT_NE(f.opcode, 0xFF) << "no pong for ping '" << payload << "'";
      if (f.opcode == 0xA && f.payload == payload) return;
    }
  }

  // Reads frames until a close frame (data frames before it are skipped).
  std::optional<std::uint16_t> read_close() {
    for (;;) {
      ServerFrame f = read_frame();
      if (f.opcode == 0xFF) return std::nullopt;
      if (f.opcode == 0x8) return f.close_code();
    }
  }

  // True when the server closed TCP (EOF or reset) within the timeout;
  // any bytes before that are skipped.
  bool wait_eof() {
    char buf[4096];
    for (;;) {
      std::size_t got = 0;
      const ReadResult r = read_some(buf, sizeof buf, got);
      if (r == ReadResult::closed) return true;
      if (r == ReadResult::timeout) return false;
    }
  }

  // Client error path: expect a close frame with `code`; answer it and
  // close our side as a browser does; expect the server to close TCP and
  // report on_closed(code) exactly once.
  void expect_failed_with(std::uint16_t code) {
    EXPECT_EQ(read_close(), std::optional<std::uint16_t>(code));
    write_raw(client_frame(0x8, close_body(code)));
    boost::system::error_code ec;
    client_.shutdown(tcp::socket::shutdown_send, ec);
    EXPECT_TRUE(wait_eof());
    EXPECT_EQ(observer_->wait_closed(), std::optional<std::uint16_t>(code));
    EXPECT_EQ(observer_->closed_count(), 1);
  }

  bool tls_ = false;  // open() makes a TLS pair
  SSL_CTX* client_ctx_ = nullptr;
  SSL* client_ssl_ = nullptr;
  asio::io_context ioc_{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard_{ioc_.get_executor()};
  std::thread worker_;
  tcp::socket client_{ioc_};
  std::shared_ptr<WsConnection> conn_;
  std::shared_ptr<RecordingObserver> observer_;
  int timeout_ms_ = 5000;
};

}  // namespace herald::net::test
