// /proc readers; see proc_stats.hpp. Schedstat is preferred because stat's
// utime+stime tick at 10 ms, too coarse for short windows.
#include "proc_stats.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

namespace herald::bench {

namespace {
std::int64_t schedstat_ns(pid_t pid) {
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (!d) return -1;
  std::int64_t total = 0;
  bool any = false;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream f(dir + "/" + e->d_name + "/schedstat");
    long long run_ns = 0;
    if (f >> run_ns) {
      total += run_ns;
      any = true;
    }
  }
  closedir(d);
  return any ? total : -1;
}

std::int64_t stat_ns(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return -1;
  auto close_paren = line.rfind(')');
  if (close_paren == std::string::npos) return -1;
  // Fields after the command name: state is field 3, utime 14, stime 15.
  const char* p = line.c_str() + close_paren + 2;
  unsigned long long utime = 0, stime = 0;
  if (std::sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) return -1;
  return static_cast<std::int64_t>((utime + stime) * (1'000'000'000ULL / sysconf(_SC_CLK_TCK)));
}
}  // namespace

std::int64_t process_cpu_ns(pid_t pid) {
  if (pid <= 0) return -1;
  auto ns = schedstat_ns(pid);
  return ns >= 0 ? ns : stat_ns(pid);
}

std::int64_t process_rss_kib(pid_t pid) {
  if (pid <= 0) return -1;
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

std::int64_t self_cpu_ns() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto tv_ns = [](const timeval& tv) { return std::int64_t{tv.tv_sec} * 1'000'000'000 + tv.tv_usec * 1000; };
  return tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime);
}

std::uint64_t raise_fd_limit(std::uint64_t wanted) {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur >= wanted) return lim.rlim_cur;
  if (lim.rlim_max < wanted) {
    std::uint64_t nr_open = wanted;
    std::ifstream f("/proc/sys/fs/nr_open");
    f >> nr_open;
    rlimit raised{std::min<rlim_t>(wanted, nr_open), std::min<rlim_t>(wanted, nr_open)};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return raised.rlim_cur;
  }
  lim.rlim_cur = std::min<rlim_t>(wanted, lim.rlim_max);
  setrlimit(RLIMIT_NOFILE, &lim);
  getrlimit(RLIMIT_NOFILE, &lim);
  return lim.rlim_cur;
}

}  // namespace herald::bench
