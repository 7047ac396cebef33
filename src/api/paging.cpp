#include "api/paging.hpp"

#include <charconv>

namespace herald::api {

namespace {

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

std::expected<store::PageRequest, Response> page_query(const Request& request) {
  store::PageRequest page;
  page.limit = kDefaultPageLimit;
  if (auto limit = request.query_param("limit")) {
    auto v = parse_int(*limit);
    if (!v || *v < 1 || *v > kMaxPageLimit) {
      return std::unexpected(validation_error("query", "limit", "limit must be an integer from 1 to 100"));
    }
    page.limit = *v;
  }
  if (auto before = request.query_param("before")) {
    auto v = parse_int(*before);
    if (!v || *v < 1) {
      return std::unexpected(validation_error("query", "before", "before must be a positive integer id"));
    }
    page.before = *v;
  }
  ++page.limit;  // one more row than asked: is there a next page?
  return page;
}

std::expected<bool, Response> flag_query(const Request& request, std::string_view name) {
  auto value = request.query_param(name);
  if (!value) return false;
  if (*value == "true" || *value == "1") return true;
  if (*value == "false" || *value == "0") return false;
  return std::unexpected(validation_error("query", name, "must be true or false"));
}

}  // namespace herald::api
