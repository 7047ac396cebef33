// epoll client transport; see event_loop.hpp for the invariants.
#include "event_loop.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "clock.hpp"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

namespace herald::bench {

namespace {
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kMaxEvents = 1024;

std::string errno_reason(int err) {
  const char* name = strerrorname_np(err);
  return std::string("errno ") + (name ? name : std::to_string(err).c_str());
}
}  // namespace

EventLoop::EventLoop(Target target, Handler& handler)
    : target_(std::move(target)), handler_(handler), read_buf_(kReadChunk) {
  if (target_.tls) tls_ = std::make_unique<TlsClient>();
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) throw std::runtime_error("epoll_create1 failed");
  if (target_.source_addresses < 1) target_.source_addresses = 1;
  if (target_.source_addresses > 250) target_.source_addresses = 250;
}

EventLoop::~EventLoop() {
  for (auto& c : conns_) release(c);
  if (epfd_ >= 0) ::close(epfd_);
}

std::uint32_t EventLoop::add(std::uint64_t user_id, std::string token, int port) {
  auto index = static_cast<std::uint32_t>(conns_.size());
  Conn& c = conns_.emplace_back();
  c.index = index;
  c.port = port ? port : target_.port;
  c.user_id = user_id;
  c.token = std::move(token);
  c.t_start_ns = now_ns();
  ++pending_;

  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) {
    fail(c, errno_reason(errno));
    return index;
  }
  c.fd = fd;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  sockaddr_in src{};
  src.sin_family = AF_INET;
  src.sin_addr.s_addr = htonl(0x7F000001u + index % static_cast<std::uint32_t>(target_.source_addresses));
  if (bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
    fail(c, errno_reason(errno));
    return index;
  }
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(static_cast<std::uint16_t>(c.port));
  inet_pton(AF_INET, target_.host.c_str(), &dst.sin_addr);
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst);
  if (rc != 0 && errno != EINPROGRESS) {
    fail(c, errno_reason(errno));
    return index;
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
  ev.data.u32 = index;
  epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
  c.want_out = true;
  return index;
}

void EventLoop::set_want_out(Conn& c, bool on) {
  if (c.want_out == on || c.fd < 0) return;
  c.want_out = on;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0u);
  ev.data.u32 = c.index;
  epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
}

void EventLoop::mark_dirty(Conn& c) {
  if (!c.dirty) {
    c.dirty = true;
    dirty_.push_back(c.index);
  }
}

void EventLoop::send_text(Conn& c, std::string_view payload) {
  if (c.state != ConnState::open) return;
  append_frame(c.out, Opcode::text, payload, masks_.next());
  ++frames_out_;
  mark_dirty(c);
}

void EventLoop::close(Conn& c) {
  if (c.state == ConnState::closed) return;
  if (c.state == ConnState::open) {
    char code[2] = {static_cast<char>(1000 >> 8), static_cast<char>(1000 & 0xFF)};
    append_frame(c.out, Opcode::close, std::string_view(code, 2), masks_.next());
    if (c.out.size() > c.out_off) {
      [[maybe_unused]] auto n = io_write(c, c.out.data() + c.out_off, c.out.size() - c.out_off);
    }
    --open_;
  } else {
    --pending_;
  }
  c.state = ConnState::closed;
  release(c);
  std::string().swap(c.out);
  c.out_off = 0;
}

void EventLoop::close_all() {
  for (auto& c : conns_) close(c);
}

void EventLoop::fail(Conn& c, std::string reason) {
  if (c.state == ConnState::closed) return;
  if (c.state == ConnState::open) {
    --open_;
  } else {
    --pending_;
  }
  c.state = ConnState::closed;
  release(c);
  if (c.close_code == 0) c.close_code = 1006;
  ++end_reasons_[reason];
  std::string().swap(c.out);
  c.out_off = 0;
  handler_.on_closed(c, reason);
}

void EventLoop::run_once(int timeout_ms) {
  epoll_event events[kMaxEvents];
  int n = epoll_wait(epfd_, events, kMaxEvents, timeout_ms);
  for (int i = 0; i < n; ++i) {
    Conn& c = conns_[events[i].data.u32];
    if (c.state != ConnState::closed) on_event(c, events[i].events);
  }
  // Flush after dispatch so everything queued this turn leaves in one write.
  for (std::size_t i = 0; i < dirty_.size(); ++i) {
    Conn& c = conns_[dirty_[i]];
    c.dirty = false;
    if (c.state != ConnState::closed) flush(c);
  }
  dirty_.clear();
}

void EventLoop::on_event(Conn& c, std::uint32_t events) {
  if (c.state == ConnState::connecting) {
    if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) on_connected(c);
    return;
  }
  if (c.state == ConnState::handshaking) {
    continue_handshake(c);
    return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) on_readable(c);
  if (c.state != ConnState::closed && (events & EPOLLOUT)) flush(c);
}

void EventLoop::on_connected(Conn& c) {
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    fail(c, errno_reason(err));
    return;
  }
  if (tls_) {
    c.ssl = tls_->attach(c.fd);
    if (c.ssl == nullptr) {
      fail(c, "tls setup");
      return;
    }
    c.state = ConnState::handshaking;
    continue_handshake(c);
    return;
  }
  send_upgrade(c);
}

void EventLoop::continue_handshake(Conn& c) {
  std::string error;
  switch (tls_handshake(c.ssl, error)) {
    case HandshakeStep::done:
      c.t_tls_ns = now_ns();
      send_upgrade(c);
      return;
    case HandshakeStep::want_read:
      set_want_out(c, false);
      return;
    case HandshakeStep::want_write:
      set_want_out(c, true);
      return;
    case HandshakeStep::failed:
      fail(c, error);
      return;
  }
}

void EventLoop::send_upgrade(Conn& c) {
  c.state = ConnState::upgrading;
  // A fixed key: the loader does not check Sec-WebSocket-Accept (loopback,
  // servers under test), so hashing per connection would only add cost.
  c.out += "GET " + target_.path + "?token=" + c.token + " HTTP/1.1\r\nHost: " + target_.host + ":" +
           std::to_string(c.port) +
           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           "Sec-WebSocket-Version: 13\r\n\r\n";
  std::string().swap(c.token);
  set_want_out(c, false);
  flush(c);
}

void EventLoop::flush(Conn& c) {
  while (c.out_off < c.out.size()) {
    auto n = io_write(c, c.out.data() + c.out_off, c.out.size() - c.out_off);
    if (n > 0) {
      c.out_off += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      set_want_out(c, true);
      return;
    }
    fail(c, errno_reason(errno));
    return;
  }
  c.out.clear();
  c.out_off = 0;
  set_want_out(c, false);
}

void EventLoop::on_readable(Conn& c) {
  while (c.state != ConnState::closed) {
    auto n = io_read(c, read_buf_.data(), read_buf_.size());
    if (n > 0) {
      auto got = static_cast<std::size_t>(n);
      if (c.state == ConnState::upgrading) {
        c.in.append(read_buf_.data(), got);
        if (parse_upgrade(c) && !c.in.empty()) c.in.erase(0, parse_frames(c, c.in.data(), c.in.size()));
      } else if (c.in.empty()) {
        // The common case: frames parsed straight from the shared buffer,
        // only a partial tail is copied into the connection.
        std::size_t used = parse_frames(c, read_buf_.data(), got);
        if (c.state == ConnState::open && used < got) c.in.assign(read_buf_.data() + used, got - used);
      } else {
        c.in.append(read_buf_.data(), got);
        std::size_t used = parse_frames(c, c.in.data(), c.in.size());
        if (c.state == ConnState::open) c.in.erase(0, used);
      }
      if (c.state == ConnState::closed) std::string().swap(c.in);
      // A short read drained the socket; OpenSSL may still hold records it
      // read ahead, so TLS reads on until it asks for the socket again.
      if (got < read_buf_.size() && !c.ssl) return;
      continue;
    }
    if (n == 0) {
      fail(c, "eof");
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    fail(c, errno_reason(errno));
    return;
  }
}

ssize_t EventLoop::io_read(Conn& c, char* buf, std::size_t n) {
  if (!c.ssl) return ::read(c.fd, buf, n);
  bool want_write = false;
  const ssize_t r = tls_read(c.ssl, buf, n, want_write);
  if (want_write) set_want_out(c, true);
  return r;
}

ssize_t EventLoop::io_write(Conn& c, const char* buf, std::size_t n) {
  if (!c.ssl) return ::write(c.fd, buf, n);
  bool want_write = false;
  return tls_write(c.ssl, buf, n, want_write);
}

void EventLoop::release(Conn& c) {
  if (c.ssl) tls_free(c.ssl);
  c.ssl = nullptr;
  if (c.fd >= 0) ::close(c.fd);
  c.fd = -1;
}

bool EventLoop::parse_upgrade(Conn& c) {
  auto end = c.in.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (c.in.size() > 16384) fail(c, "http oversized");
    return false;
  }
  // "HTTP/1.1 101 Switching Protocols"
  int status = 0;
  if (c.in.size() > 12) status = std::atoi(c.in.c_str() + 9);
  if (status != 101) {
    fail(c, "http " + std::to_string(status));
    return false;
  }
  c.in.erase(0, end + 4);
  c.state = ConnState::open;
  c.t_upgrade_ns = now_ns();
  --pending_;
  ++open_;
  handler_.on_upgraded(c);
  return true;
}

std::size_t EventLoop::parse_frames(Conn& c, char* data, std::size_t len) {
  std::size_t off = 0;
  while (c.state == ConnState::open) {
    FrameView f;
    auto status = parse_frame(data + off, len - off, f);
    if (status == ParseStatus::need_more) break;
    if (status == ParseStatus::bad) {
      fail(c, "bad frame");
      break;
    }
    off += f.size;
    ++frames_in_;
    switch (f.opcode) {
      case Opcode::ping:
        append_frame(c.out, Opcode::pong, f.payload, masks_.next());
        mark_dirty(c);
        break;
      case Opcode::pong:
        break;
      case Opcode::close: {
        c.close_code = f.payload.size() >= 2 ? (static_cast<unsigned char>(f.payload[0]) << 8) |
                                                    static_cast<unsigned char>(f.payload[1])
                                              : 1005;
        char code[2] = {f.payload.size() >= 2 ? f.payload[0] : char(0x03),
                        f.payload.size() >= 2 ? f.payload[1] : char(0xE8)};
        append_frame(c.out, Opcode::close, std::string_view(code, 2), masks_.next());
        [[maybe_unused]] auto n = io_write(c, c.out.data() + c.out_off, c.out.size() - c.out_off);
        fail(c, "close " + std::to_string(c.close_code));
        break;
      }
      case Opcode::continuation:
        c.fragments.append(f.payload);
        if (f.fin) {
          if (c.fragment_op == Opcode::text) handler_.on_text(c, c.fragments);
          std::string().swap(c.fragments);
        }
        break;
      case Opcode::text:
      case Opcode::binary:
        if (!f.fin) {
          c.fragment_op = f.opcode;
          c.fragments.assign(f.payload);
        } else if (f.opcode == Opcode::text) {
          handler_.on_text(c, f.payload);
        }
        break;
    }
  }
  return off;
}

}  // namespace herald::bench
