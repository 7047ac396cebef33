#pragma once
// Maps (method, path pattern) to handlers. Patterns are literal segments
// and `{int}` placeholders; a placeholder that is not a 64-bit integer is
// answered 422 (PROTOCOL.md 6: "Path ids that are not integers are 422").
// A path that matches with another method is 405; no match is 404.
#include <string>
#include <vector>

#include "api/http.hpp"

namespace herald::api {

class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler);
  // Answers GET and HEAD requests that no route's path matches, outside
  // the API and operations paths (StaticFiles::reserved): the demo app's
  // files at `/`. Routes always win.
  void set_fallback(Handler handler) { fallback_ = std::move(handler); }
  // Never throws: a failing handler becomes a 503 (storage) or 500 response.
  boost::asio::awaitable<Response> route(Request& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // "{int}" marks a parameter
    Handler handler;
  };
  static boost::asio::awaitable<Response> run_handler(const Handler& handler, Request& request);
  std::vector<Route> routes_;
  Handler fallback_;
};

}  // namespace herald::api
