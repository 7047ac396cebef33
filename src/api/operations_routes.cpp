// GET /health, /ready, /metrics (PROTOCOL.md 6.6): no token.
#include "api/context.hpp"
#include "util/metrics.hpp"

namespace herald::api {

void add_operation_routes(Router& router, ApiContext& ctx) {
  router.add("GET", "/health", [](Request&) -> boost::asio::awaitable<Response> {
    co_return json_response(200, R"({"status":"ok"})");
  });
  router.add("GET", "/ready", [&ctx](Request&) -> boost::asio::awaitable<Response> {
    Readiness r = ctx.readiness ? ctx.readiness() : Readiness{};
    if (r.ready) co_return json_response(200, R"({"status":"ready"})");
    Response resp = error_response(503, r.reason);
    co_return resp;
  });
  router.add("GET", "/metrics", [](Request&) -> boost::asio::awaitable<Response> {
    Response r = json_response(200, util::metrics().render());
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    co_return r;
  });
}

}  // namespace herald::api
