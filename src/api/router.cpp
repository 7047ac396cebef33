#include "api/router.hpp"

#include <charconv>

#include <spdlog/spdlog.h>

#include "api/static_files.hpp"
#include "store/database.hpp"

namespace herald::api {

namespace {
std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool is_int64(std::string_view s) {
  long long v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && ptr == s.data() + s.size();
}
}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler) {
  routes_.push_back(Route{std::move(method), split_path(pattern), std::move(handler)});
}

// A handler's failure is answered here, in the API's own terms: storage
// that cannot be reached is 503 (the client may retry), anything else 500.
// The transport only ever sees a Response.
boost::asio::awaitable<Response> Router::run_handler(const Handler& handler, Request& request) {
  try {
    co_return co_await handler(request);
  } catch (const store::StorageError& e) {
    spdlog::error("storage error on {} {}: {}", request.method, request.path, e.what());
    co_return error_response(503, "Storage unavailable");
  } catch (const std::exception& e) {
    spdlog::error("handler error on {} {}: {}", request.method, request.path, e.what());
    co_return error_response(500, "Internal Server Error");
  }
}

boost::asio::awaitable<Response> Router::route(Request& request) const {
  auto segments = split_path(request.path);
  bool path_matched = false;
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::vector<std::string> params;
    bool ok = true;
    bool bad_param = false;
    for (std::size_t i = 0; i < segments.size() && ok; ++i) {
      if (route.segments[i] == "{int}") {
        if (!is_int64(segments[i])) bad_param = true;
        params.push_back(segments[i]);
      } else if (route.segments[i] != segments[i]) {
        ok = false;
      }
    }
    if (!ok) continue;
    path_matched = true;
    if (route.method != request.method) continue;
    if (bad_param) {
      co_return validation_error("path", "id", "value is not a valid integer");
    }
    request.params = std::move(params);
    co_return co_await run_handler(route.handler, request);
  }
  if (!path_matched && fallback_ && (request.method == "GET" || request.method == "HEAD") &&
      !StaticFiles::reserved(request.path)) {
    co_return co_await run_handler(fallback_, request);
  }
  co_return error_response(path_matched ? 405 : 404, path_matched ? "Method Not Allowed" : "Not Found");
}

}  // namespace herald::api
