#pragma once
// File descriptors are what connections really spend: every socket is one,
// and a process out of them can no longer accept, open its database or log.
// At start `serve` raises the soft RLIMIT_NOFILE to the hard limit (as Go's
// runtime and nginx's worker_rlimit_nofile do: the soft default of 1024 is
// a relic of select()), and without --max-connections caps connections at
// that limit minus a reserve for everything else the process holds.
#include <cstddef>

namespace herald::app {

// Raises the soft limit to the hard one when it can; returns the soft limit
// in force afterwards (unchanged when raising fails).
std::size_t raise_descriptor_limit();

// Descriptors kept for what is not a connection: the SQLite files of the
// five storage connections (main and archive, each with its WAL: about 22),
// per worker an epoll, an eventfd, a timerfd and an acceptor, the signal
// pipe, standard streams. Generous on purpose: running short costs more.
std::size_t reserved_descriptors(unsigned workers);

// The default global connection cap for a descriptor limit; never below 16
// (a tiny limit gets half of it rather than nothing).
std::size_t default_connection_cap(std::size_t descriptor_limit, unsigned workers);

}  // namespace herald::app
