#pragma once
// A real redis-server for one test: on a free loopback port, persisting
// nothing, in its own directory under $TMPDIR (removed afterwards), killed
// by the destructor. stop() and start() take it away and bring it back on
// the same port, as a Redis restart would. The child gets SIGTERM if the
// test program dies first (PR_SET_PDEATHSIG), so a crashed test leaves no
// server behind.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace herald::test {

inline constexpr const char* kRedisServer = "/usr/bin/redis-server";

inline bool have_redis_server() { return ::access(kRedisServer, X_OK) == 0; }

class RedisServer {
 public:
  RedisServer() : port_(free_port()), dir_(make_dir()) { start(); }
  ~RedisServer() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

  void start() {
    if (pid_ > 0) return;
    spawn();
    if (!wait_until_answering(std::chrono::seconds(5))) {
      stop();
      throw std::runtime_error("redis-server did not answer on port " + std::to_string(port_) +
                               " (log: " + (dir_ / "redis.log").string() + ")");
    }
  }

  // SIGTERM, then SIGKILL if it has not exited within 5 s.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (::waitpid(pid_, nullptr, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
  }

 private:
  // Binds port 0 and gives the port back: free now, and nothing else on
  // this machine takes loopback ports at random in the next few ms.
  static std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      if (fd >= 0) ::close(fd);
      throw std::runtime_error("no free loopback port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
  }

  std::filesystem::path make_dir() const {
    auto dir = std::filesystem::temp_directory_path() /
               ("herald-redis-" + std::to_string(::getpid()) + "-" + std::to_string(port_));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
  }

  void spawn() {
    // Everything the child needs is built before fork(): after it, the
    // child only makes async-signal-safe calls.
    std::vector<std::string> args = {kRedisServer, "--port",       std::to_string(port_),
                                     "--bind",     "127.0.0.1",    "--save",
                                     "",           "--appendonly", "no",
                                     "--dir",      dir_.string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::string log = (dir_ / "redis.log").string();
    pid_t parent = ::getpid();

    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(1);  // the parent died before prctl
      int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (out >= 0) {
        ::dup2(out, STDOUT_FILENO);
        ::dup2(out, STDERR_FILENO);
      }
      ::execv(kRedisServer, argv.data());
      ::_exit(127);
    }
    pid_ = pid;
  }

  // Answering: a PING gets +PONG, which (unlike a bare connect) also rules
  // out a server still starting up or loading.
  bool wait_until_answering(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {  // it exited (port taken?)
        pid_ = -1;
        return false;
      }
      if (ping()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  bool ping() const {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    timeval tv{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port_);
    bool ok = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::write(fd, "PING\r\n", 6) == 6) {
      char buf[8] = {};
      ok = ::read(fd, buf, sizeof buf) >= 5 && std::string_view(buf, 5) == "+PONG";
    }
    ::close(fd);
    return ok;
  }

  std::uint16_t port_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

}  // namespace herald::test
