// See descriptor_limit.hpp.
#include "app/descriptor_limit.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace herald::app {

namespace {
// RLIM_INFINITY or a huge hard limit: no connection count comes near this.
constexpr std::size_t kMaxDescriptors = std::size_t{1} << 24;
}  // namespace

std::size_t raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur == RLIM_INFINITY) return kMaxDescriptors;
  return static_cast<std::size_t>(std::min<rlim_t>(limit.rlim_cur, kMaxDescriptors));
}

std::size_t reserved_descriptors(unsigned workers) { return 128 + 4 * std::size_t{workers}; }

std::size_t default_connection_cap(std::size_t descriptor_limit, unsigned workers) {
  const std::size_t reserve = reserved_descriptors(workers);
  const std::size_t cap =
      descriptor_limit > reserve ? descriptor_limit - reserve : descriptor_limit / 2;
  return std::max<std::size_t>(cap, 16);
}

}  // namespace herald::app
