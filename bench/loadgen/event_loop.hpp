#pragma once
// The load generator's transport: one epoll loop on one thread driving many
// non-blocking client sockets through TCP connect, a hand-written HTTP
// upgrade and RFC 6455 framing. Scenarios see only open/text/closed events.
//
// Invariants: a Conn lives at a fixed index in the loop's table for the whole
// run (scenarios keep indices, never pointers across add()); outgoing frames
// are appended to Conn::out and flushed once per loop turn, so frames queued
// in one turn leave in one write(); each connection binds a source address
// from 127.0.0.1..127.0.0.K before connect, with IP_BIND_ADDRESS_NO_PORT so
// the kernel picks the port per 4-tuple and K addresses give K port ranges.
// With Target::tls every connection makes a TLS handshake after connect
// (tls_client.hpp) and all its bytes go through OpenSSL; nothing above the
// bytes changes.
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tls_client.hpp"
#include "ws_frame.hpp"

namespace herald::bench {

enum class ConnState : std::uint8_t { connecting, handshaking, upgrading, open, closed };

struct Conn {
  int fd = -1;
  SSL* ssl = nullptr;  // --tls only
  std::uint32_t index = 0;
  ConnState state = ConnState::connecting;
  bool dirty = false;     // queued in the loop's flush list
  bool want_out = false;  // EPOLLOUT registered (socket buffer was full)
  bool welcomed = false;  // `connected` received (set by scenarios)
  std::uint64_t user_id = 0;
  std::int64_t t_start_ns = 0;    // connect() issued
  std::int64_t t_tls_ns = 0;      // TLS handshake done (--tls)
  std::int64_t t_upgrade_ns = 0;  // 101 received
  std::int64_t t_welcome_ns = 0;  // `connected` received
  int close_code = 0;             // server's close code; 1006 without one
  int port = 0;                   // the server port it connected to
  std::string token;              // freed once the upgrade is sent
  std::string in;                 // bytes not yet parsed
  std::string out;                // bytes not yet written
  std::size_t out_off = 0;
  std::string fragments;  // a fragmented message being reassembled
  Opcode fragment_op = Opcode::text;
};

struct Target {
  std::string host = "127.0.0.1";
  int port = 8000;
  std::string path = "/api/v1/ws";
  int source_addresses = 1;  // K: spread over 127.0.0.1 .. 127.0.0.K
  bool tls = false;          // wss: a TLS handshake before the upgrade
};

class Handler {
 public:
  virtual ~Handler() = default;
  virtual void on_upgraded(Conn&) {}
  virtual void on_text(Conn&, std::string_view payload) = 0;
  // `reason`: "close <code>", "eof", "http <status>", "errno <name>", "local".
  virtual void on_closed(Conn&, std::string_view reason) {}
};

class EventLoop {
 public:
  EventLoop(Target target, Handler& handler);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Starts a connection for `user_id` with `token`; returns its index.
  // `port`: 0 = the target's; another node's port for a cross-node chat.
  std::uint32_t add(std::uint64_t user_id, std::string token, int port = 0);
  Conn& conn(std::uint32_t index) { return conns_[index]; }
  std::size_t size() const { return conns_.size(); }

  void send_text(Conn& c, std::string_view payload);
  // Sends close 1000 (best effort) and releases the socket.
  void close(Conn& c);
  void close_all();

  // One epoll_wait (up to timeout_ms), dispatch, then flush queued writes.
  void run_once(int timeout_ms);

  std::size_t pending() const { return pending_; }  // connecting or upgrading
  std::size_t open_count() const { return open_; }
  std::uint64_t frames_in() const { return frames_in_; }
  std::uint64_t frames_out() const { return frames_out_; }
  // Why connections ended, e.g. {"close 4010": 3, "errno ECONNREFUSED": 1}.
  const std::map<std::string, std::uint64_t>& end_reasons() const { return end_reasons_; }

 private:
  void on_event(Conn& c, std::uint32_t events);
  void on_connected(Conn& c);
  void continue_handshake(Conn& c);
  void send_upgrade(Conn& c);
  // read(2)/write(2) on the socket, or through OpenSSL with --tls.
  ssize_t io_read(Conn& c, char* buf, std::size_t n);
  ssize_t io_write(Conn& c, const char* buf, std::size_t n);
  void release(Conn& c);  // the socket (and TLS session) go
  void on_readable(Conn& c);
  bool parse_upgrade(Conn& c);
  // Parses and dispatches whole frames in data[0, len); returns bytes used.
  std::size_t parse_frames(Conn& c, char* data, std::size_t len);
  void flush(Conn& c);
  void fail(Conn& c, std::string reason);
  void mark_dirty(Conn& c);
  void set_want_out(Conn& c, bool on);

  Target target_;
  Handler& handler_;
  std::unique_ptr<TlsClient> tls_;  // --tls only
  int epfd_ = -1;
  std::deque<Conn> conns_;  // deque: stable addresses while growing
  std::vector<std::uint32_t> dirty_;
  std::vector<char> read_buf_;
  MaskSource masks_;
  std::size_t pending_ = 0;
  std::size_t open_ = 0;
  std::uint64_t frames_in_ = 0;
  std::uint64_t frames_out_ = 0;
  std::map<std::string, std::uint64_t> end_reasons_;
};

}  // namespace herald::bench
