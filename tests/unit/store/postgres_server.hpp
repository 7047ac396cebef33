#pragma once
// A PostgreSQL server of the test's own (Debian's postgresql-15 binaries):
// initdb in a temp dir, listening on a free loopback port, trust auth for
// the role `herald`; stop() and start() take it away and bring it back on
// the same port; the destructor stops it and removes the dir. PostgreSQL
// refuses to run as root, so as root its commands run as the `postgres`
// user (runuser), which owns the dir.
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace herald::test {

inline constexpr const char* kPgBin = "/usr/lib/postgresql/15/bin";

inline bool have_postgres() {
  return ::access((std::string(kPgBin) + "/initdb").c_str(), X_OK) == 0 &&
         (::geteuid() != 0 || ::getpwnam("postgres") != nullptr);
}

class PostgresServer {
 public:
  PostgresServer() {
    char pattern[] = "/tmp/herald-pg-XXXXXX";
    if (!::mkdtemp(pattern)) throw std::runtime_error("mkdtemp");
    dir_ = pattern;
    port_ = free_port();
    if (::geteuid() == 0) {
      const passwd* pg = ::getpwnam("postgres");
      if (!pg || ::chown(dir_.c_str(), pg->pw_uid, pg->pw_gid) != 0) throw std::runtime_error("chown");
    }
    shell(std::string(kPgBin) + "/initdb -D " + dir_ + "/data -U herald --auth=trust -E UTF8 --no-sync -N");
    start();
  }
  ~PostgresServer() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  std::string url() const { return url_of("postgres"); }
  std::string url_of(const std::string& database) const {
    return "postgresql://herald@127.0.0.1:" + std::to_string(port_) + "/" + database;
  }

  void start() {
    shell(std::string(kPgBin) + "/pg_ctl -D " + dir_ + "/data -l " + dir_ + "/log -w -s -o \"-p " +
          std::to_string(port_) + " -k " + dir_ + " -c listen_addresses=127.0.0.1 -c fsync=off\" start");
    running_ = true;
  }
  void stop() {
    if (!running_) return;
    running_ = false;
    shell(std::string(kPgBin) + "/pg_ctl -D " + dir_ + "/data -w -s -m fast stop", false);
  }

 private:
  static int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ::close(fd);
      throw std::runtime_error("no free port");
    }
    ::close(fd);
    return ntohs(a.sin_port);
  }
  // Paths are this class's own temp dir: nothing from outside reaches the
  // command line.
  void shell(const std::string& command, bool must = true) const {
    std::string line = (::geteuid() == 0 ? "runuser -u postgres -- " : "") + command + " >> " + dir_ +
                       "/commands.log 2>&1";
    if (std::system(line.c_str()) != 0 && must) throw std::runtime_error("failed: " + command);
  }

  std::string dir_;
  int port_ = 0;
  bool running_ = false;
};

}  // namespace herald::test
