// The seed's online-status API (PROTOCOL.md 6.1): /online, /online/count,
// /status/{id}. An invisible user reads as offline with 0 connections.
#include <charconv>

#include <boost/json.hpp>

#include "api/context.hpp"
#include "realtime/presence_reads.hpp"
#include "realtime/user_directory.hpp"
#include "util/clock.hpp"

namespace herald::api {

namespace {

// Parses an integer query parameter within [min, max]; nullopt = absent.
std::expected<std::optional<std::int64_t>, Response> int_param(const Request& r,
                                                              std::string_view name,
                                                              std::int64_t min, std::int64_t max) {
  auto text = r.query_param(name);
  if (!text) return std::optional<std::int64_t>{};
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || ptr != text->data() + text->size()) {
    return std::unexpected(validation_error("query", name, "value is not a valid integer"));
  }
  if (v < min || v > max) {
    return std::unexpected(validation_error(
        "query", name, "value must be between " + std::to_string(min) + " and " + std::to_string(max)));
  }
  return std::optional<std::int64_t>{v};
}

boost::json::object status_object(const ApiContext& ctx, UserId user) {
  auto presence = ctx.presence.presence_of(user);
  bool visible = presence && presence->connections > 0 &&
                 presence->status != protocol::PresenceStatus::offline;
  auto entry = ctx.directory.find(user);
  boost::json::object o;
  o["user_id"] = raw(user);
  o["online"] = visible;
  std::int64_t last_seen = visible ? util::unix_ms_now() : entry && entry->last_seen_ms ? *entry->last_seen_ms : 0;
  if (visible || (entry && entry->last_seen_ms)) {
    o["last_seen"] = util::iso8601_from_unix_ms(last_seen);
  } else {
    o["last_seen"] = nullptr;
  }
  o["connections_count"] = visible ? presence->connections : 0;
  o["status"] = visible ? std::string(protocol::to_string(presence->status)) : "offline";
  return o;
}

}  // namespace

void add_online_routes(Router& router, ApiContext& ctx) {
  router.add("GET", "/api/v1/online", [&ctx](Request& r) -> boost::asio::awaitable<Response> {
    auto claims = authenticate(ctx, r);
    if (!claims) co_return claims.error();
    auto limit = int_param(r, "limit", 1, 1000);
    if (!limit) co_return limit.error();
    auto offset = int_param(r, "offset", 0, INT64_MAX);
    if (!offset) co_return offset.error();
    auto users = ctx.presence.online_users(static_cast<std::size_t>(offset->value_or(0)),
                                                 static_cast<std::size_t>(limit->value_or(100)));
    boost::json::array list;
    std::string now = util::iso8601_now();
    for (const auto& u : users) {
      boost::json::object o;
      o["user_id"] = raw(u.user);
      o["online"] = true;
      o["last_seen"] = now;
      o["connections_count"] = u.connections;
      o["status"] = protocol::to_string(u.status);
      list.push_back(std::move(o));
    }
    boost::json::object body;
    body["online_count"] = ctx.presence.online_count();
    body["users"] = std::move(list);
    co_return json_response(200, boost::json::serialize(body));
  });

  router.add("GET", "/api/v1/online/count", [&ctx](Request& r) -> boost::asio::awaitable<Response> {
    auto claims = authenticate(ctx, r);
    if (!claims) co_return claims.error();
    co_return json_response(200, "{\"online_count\":" +
                                     std::to_string(ctx.presence.online_count()) + "}");
  });

  router.add("GET", "/api/v1/status/{int}", [&ctx](Request& r) -> boost::asio::awaitable<Response> {
    auto claims = authenticate(ctx, r);
    if (!claims) co_return claims.error();
    UserId user{std::stoll(r.params[0])};
    // In a cluster, a user connected only to another node is known from
    // the cluster's presence, not from this node's directory.
    if (!ctx.directory.contains(user) && !ctx.presence.presence_of(user)) {
      co_return error_response(404, "User not found");
    }
    co_return json_response(200, boost::json::serialize(status_object(ctx, user)));
  });
}

}  // namespace herald::api
