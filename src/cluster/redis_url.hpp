#pragma once
// Where a cluster node finds Redis (`--redis-url`).
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace herald::cluster {

// redis://host[:port][/db]: port 6379 and db 0 when left out; an IPv6 host
// in brackets (redis://[::1]:6379). Credentials (redis://:secret@host) are
// rejected rather than ignored: connecting without them would fail later,
// on the first command, with a NOAUTH that names no cause. So are
// rediss:// (TLS) and a query string.
struct RedisUrl {
  std::string host;
  std::uint16_t port = 6379;
  int db = 0;
};
std::expected<RedisUrl, std::string> parse_redis_url(std::string_view url);

}  // namespace herald::cluster
