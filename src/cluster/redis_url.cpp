#include "cluster/redis_url.hpp"

#include <charconv>
#include <utility>

namespace herald::cluster {


namespace {

template <class Int>
bool parse_number(std::string_view digits, Int& out) {
  if (digits.empty()) return false;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
  return ec == std::errc() && end == digits.data() + digits.size();
}

// Splits "host[:port]" or "[v6]:port" at the port's colon.
std::expected<std::pair<std::string_view, std::string_view>, std::string> split_host_port(
    std::string_view authority) {
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::unexpected("unclosed [ in the host");
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return std::unexpected("junk after ]");
    if (rest == ":") return std::unexpected("an empty port");
    return std::pair{authority.substr(1, close - 1), rest.empty() ? rest : rest.substr(1)};
  }
  auto colon = authority.find(':');
  if (colon == std::string_view::npos) return std::pair{authority, std::string_view()};
  if (authority.find(':', colon + 1) != std::string_view::npos) {
    return std::unexpected("an IPv6 host goes in brackets: [::1]:6379");
  }
  if (colon + 1 == authority.size()) return std::unexpected("an empty port");
  return std::pair{authority.substr(0, colon), authority.substr(colon + 1)};
}

}  // namespace

std::expected<RedisUrl, std::string> parse_redis_url(std::string_view url) {
  auto fail = [&](std::string_view why) {
    return std::unexpected("bad Redis URL '" + std::string(url) + "': " + std::string(why) +
                           " (expected redis://host[:port][/db])");
  };
  constexpr std::string_view kScheme = "redis://";
  if (url.starts_with("rediss://")) return fail("TLS (rediss://) is not supported");
  if (!url.starts_with(kScheme)) return fail("not redis://");
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos)
    return fail("no query or fragment allowed");
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  // Before the host split: a password may hold ':' or '['. The message
  // does not repeat the URL, which would put the password in a log.
  if (authority.find('@') != std::string_view::npos) {
    return std::unexpected(
        "bad Redis URL: credentials (user:password@) are not supported yet; use a Redis reachable "
        "without AUTH");
  }

  auto parts = split_host_port(authority);
  if (!parts) return fail(parts.error());
  RedisUrl out;
  out.host = std::string(parts->first);
  if (out.host.empty()) return fail("no host");
  if (!parts->second.empty() && (!parse_number(parts->second, out.port) || out.port == 0)) {
    return fail("the port is not a number from 1 to 65535");
  }
  if (!path.empty() && (!parse_number(path, out.db) || out.db < 0)) {
    return fail("the database is not a number");
  }
  return out;
}

}  // namespace herald::cluster
