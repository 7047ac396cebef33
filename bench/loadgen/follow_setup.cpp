#include "follow_setup.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>

#include "event_loop.hpp"
#include "jwt_mint.hpp"

namespace herald::bench {

namespace {
class BlockingSocket {
 public:
  BlockingSocket(const Target& target, double timeout_s) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    timeval tv{static_cast<time_t>(timeout_s), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(target.port));
    ::inet_pton(AF_INET, target.host.c_str(), &addr.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~BlockingSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  bool write_all(const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
    return true;
  }
  // The status of one response with no body or a Content-Length body.
  int read_status() {
    while (true) {
      auto end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        int status = buffer_.size() > 12 ? std::atoi(buffer_.c_str() + 9) : 0;
        std::size_t body = 0;
        auto cl = buffer_.find("Content-Length:");
        if (cl == std::string::npos) cl = buffer_.find("content-length:");
        if (cl != std::string::npos && cl < end) body = std::strtoul(buffer_.c_str() + cl + 15, nullptr, 10);
        while (buffer_.size() < end + 4 + body && fill()) {
        }
        buffer_.erase(0, std::min(buffer_.size(), end + 4 + body));
        return status;
      }
      if (!fill()) return 0;
    }
  }

 private:
  bool fill() {
    char chunk[4096];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  int fd_ = -1;
  std::string buffer_;
};
}  // namespace

std::uint64_t follow_over_http(const Target& target, const JwtMinter& minter,
                               const std::vector<std::uint64_t>& followers, std::uint64_t followee,
                               double timeout_s) {
  BlockingSocket socket(target, timeout_s);
  if (!socket.ok()) return 0;
  std::uint64_t followed = 0;
  const std::string path = "/api/v1/users/" + std::to_string(followee) + "/follow";
  for (std::uint64_t follower : followers) {
    std::string request = "POST " + path + " HTTP/1.1\r\nHost: " + target.host +
                          "\r\nAuthorization: Bearer " + minter.mint(follower) +
                          "\r\nContent-Length: 0\r\n\r\n";
    if (!socket.write_all(request)) break;
    int status = socket.read_status();
    if (status == 0) break;
    if (status == 204) ++followed;
  }
  return followed;
}

int post_json_over_http(const Target& target, const std::string& path, const std::string& api_key,
                        const std::string& body, double timeout_s) {
  BlockingSocket socket(target, timeout_s);
  if (!socket.ok()) return 0;
  std::string request = "POST " + path + " HTTP/1.1\r\nHost: " + target.host +
                        "\r\nContent-Type: application/json\r\nX-API-Key: " + api_key +
                        "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  if (!socket.write_all(request)) return 0;
  return socket.read_status();
}

}  // namespace herald::bench
