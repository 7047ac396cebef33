#pragma once
// What the load generator reads about the server under test and itself:
// server CPU time (all threads, nanoseconds, from /proc/<pid>/task/*/schedstat,
// falling back to utime+stime of /proc/<pid>/stat), server VmRSS, and the load
// generator's own CPU from getrusage. pid 0 means "no server pid given": the
// server figures then read as -1 and the reports say n/a.
#include <cstdint>
#include <sys/types.h>

namespace herald::bench {

std::int64_t process_cpu_ns(pid_t pid);  // -1 when unreadable
std::int64_t process_rss_kib(pid_t pid);  // -1 when unreadable
std::int64_t self_cpu_ns();

// Raises RLIMIT_NOFILE to at least `wanted` (raising the hard limit too when
// allowed, up to fs.nr_open); returns the soft limit in force afterwards.
std::uint64_t raise_fd_limit(std::uint64_t wanted);

}  // namespace herald::bench
