// Notifications (PROTOCOL.md 6.4): the list, the unread count, marking
// read, and the publish API an existing backend pushes its events through.
//
// Publish API decisions (docs/NOTIFICATIONS.md):
// - credentials: `X-API-Key` equal to the configured key (checked first,
//   in constant time; any other key is 401, and with no key configured
//   every key is wrong), or a Bearer token with `role: service` (a user's
//   token is 403); neither is 401.
// - every user id must name a known user and appear once: otherwise 422
//   and nothing is stored, so a 202 always means every recipient has it.
// - all rows are one write job: stored together, then published from the
//   commit hook, then 202.
// The unread counts in the directory change only in commit hooks, so in
// the same order as the rows they count.
#include <algorithm>
#include <unordered_set>

#include <boost/json.hpp>

#include "api/context.hpp"
#include "api/notification_publish.hpp"
#include "api/paging.hpp"
#include "api/request_body.hpp"
#include "auth/secrets.hpp"
#include "realtime/user_directory.hpp"
#include "store/async.hpp"
#include "util/clock.hpp"

namespace herald::api {

namespace {

namespace asio = boost::asio;

constexpr std::size_t kMaxRecipients = 10000;
constexpr std::size_t kMaxTitle = 200;       // code points
constexpr std::size_t kMaxMessage = 2000;    // code points
constexpr std::size_t kMaxDataBytes = 8192;  // the data object, serialized
constexpr std::size_t kMaxLinkBytes = 2048;

bool valid_type(std::string_view type) {
  if (type.empty() || type.size() > 32 || type[0] < 'a' || type[0] > 'z') return false;
  return std::all_of(type.begin(), type.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Who may publish: nullopt when allowed, else the 401/403 to send.
std::optional<Response> refuse_publisher(const ApiContext& ctx, const Request& r) {
  if (!r.api_key.empty()) {
    if (!ctx.api_key.empty() && auth::constant_time_equal(r.api_key, ctx.api_key)) return std::nullopt;
    return error_response(401, "Invalid API key");
  }
  auto claims = authenticate(ctx, r);
  if (!claims) return claims.error();
  if (claims->role != "service") return error_response(403, "A service token or API key is required");
  return std::nullopt;
}

struct PublishRequest {
  std::vector<UserId> users;
  store::NotificationContent content;
};

std::expected<PublishRequest, Response> publish_request(const ApiContext& ctx, const Request& r) {
  auto body = json_object_body(r);
  if (!body) return std::unexpected(body.error());
  PublishRequest p;
  auto ids = body->find("user_ids");
  if (ids == body->end() || !ids->value().is_array() || ids->value().as_array().empty() ||
      ids->value().as_array().size() > kMaxRecipients) {
    return std::unexpected(validation_error("body", "user_ids", "user_ids must be an array of 1..10000 user ids"));
  }
  std::unordered_set<std::int64_t> seen;
  std::vector<std::int64_t> unknown;
  for (const auto& v : ids->value().as_array()) {
    if (!v.is_int64() || v.as_int64() < 1) {
      return std::unexpected(validation_error("body", "user_ids", "every user id must be a positive integer"));
    }
    if (!seen.insert(v.as_int64()).second) {
      return std::unexpected(validation_error("body", "user_ids", "user ids must not repeat"));
    }
    const UserId user{v.as_int64()};
    if (!ctx.directory.contains(user)) unknown.push_back(raw(user));
    p.users.push_back(user);
  }
  if (!unknown.empty()) {
    std::string listed;
    for (std::size_t i = 0; i < unknown.size() && i < 10; ++i) listed += (i ? ", " : "") + std::to_string(unknown[i]);
    return std::unexpected(validation_error(
        "body", "user_ids",
        std::to_string(unknown.size()) + " unknown user id(s), nothing was stored: " + listed));
  }
  auto type = body->find("type");
  if (type == body->end() || !type->value().is_string() || !valid_type(type->value().as_string())) {
    return std::unexpected(validation_error("body", "type", "type must match [a-z][a-z0-9_]{0,31}"));
  }
  p.content.type = std::string(type->value().as_string());
  auto title = text_field(*body, "title", 1, kMaxTitle);
  if (!title) return std::unexpected(title.error());
  p.content.title = std::move(*title);
  auto message = text_field(*body, "message", 0, kMaxMessage);
  if (!message) return std::unexpected(message.error());
  p.content.message = std::move(*message);
  if (auto data = body->find("data"); data != body->end() && !data->value().is_null()) {
    if (!data->value().is_object()) {
      return std::unexpected(validation_error("body", "data", "data must be a JSON object"));
    }
    p.content.data_json = boost::json::serialize(data->value());
    if (p.content.data_json.size() > kMaxDataBytes) {
      return std::unexpected(validation_error("body", "data", "data must be at most 8192 bytes as JSON"));
    }
  }
  if (auto link = body->find("link"); link != body->end() && !link->value().is_null()) {
    if (!link->value().is_string() || link->value().as_string().size() > kMaxLinkBytes) {
      return std::unexpected(validation_error("body", "link", "link must be a string of at most 2048 bytes"));
    }
    p.content.link = std::string(link->value().as_string());
  }
  return p;
}

asio::awaitable<Response> publish(ApiContext& ctx, Request& r) {
  if (auto refused = refuse_publisher(ctx, r)) co_return std::move(*refused);
  auto request = publish_request(ctx, r);
  if (!request) co_return request.error();
  auto store_all = [p = std::move(*request)](store::Database& db) {
    return db.insert_notifications(p.users, p.content, util::unix_ms_now());
  };
  auto committed = [&ctx](const std::vector<store::NotificationRecord>& stored) {
    publish_stored(*ctx.broker, ctx.directory, stored);
  };
  auto stored = co_await store::write(ctx.storage, std::move(store_all), std::move(committed));
  std::string body = R"({"ids":[)";
  for (std::size_t i = 0; i < stored.size(); ++i) {
    if (i) body += ',';
    body += std::to_string(raw(stored[i].id));
  }
  body += "]}";
  co_return json_response(202, std::move(body));
}

asio::awaitable<Response> list(ApiContext& ctx, Request& r) {
  auto claims = authenticate(ctx, r);
  if (!claims) co_return claims.error();
  auto page = page_query(r);
  if (!page) co_return page.error();
  auto unread_only = flag_query(r, "unread_only");
  if (!unread_only) co_return unread_only.error();
  auto read_page = [user = claims->user_id, page = *page, only = *unread_only](store::Database& db) {
    return db.list_notifications(user, page, only);
  };
  auto rows = co_await store::read(ctx.storage, std::move(read_page));
  co_return page_response(
      rows, page->limit - 1,
      [](const store::NotificationRecord& n) { return protocol::notification_data(notification_event(n, false)); },
      [](const store::NotificationRecord& n) { return raw(n.id); });
}

asio::awaitable<Response> unread_count(ApiContext& ctx, Request& r) {
  auto claims = authenticate(ctx, r);
  if (!claims) co_return claims.error();
  auto count = [user = claims->user_id](store::Database& db) { return db.unread_count(user); };
  auto n = co_await store::read(ctx.storage, std::move(count));
  co_return json_response(200, R"({"unread_count":)" + std::to_string(n) + "}");
}

asio::awaitable<Response> mark_read(ApiContext& ctx, Request& r) {
  auto claims = authenticate(ctx, r);
  if (!claims) co_return claims.error();
  const UserId user = claims->user_id;
  const store::NotificationId id{std::stoll(r.params[0])};
  auto mark = [user, id](store::Database& db) { return db.mark_notification_read(user, id); };
  auto committed = [&ctx, user](store::MarkRead outcome) {
    if (outcome == store::MarkRead::marked) ctx.directory.add_unread(user, -1);
  };
  auto outcome = co_await store::write(ctx.storage, std::move(mark), std::move(committed));
  if (outcome == store::MarkRead::not_found) co_return error_response(404, "Notification not found");
  co_return no_content();
}

asio::awaitable<Response> mark_all_read(ApiContext& ctx, Request& r) {
  auto claims = authenticate(ctx, r);
  if (!claims) co_return claims.error();
  const UserId user = claims->user_id;
  auto mark = [user](store::Database& db) { return db.mark_all_notifications_read(user); };
  auto committed = [&ctx, user](std::int64_t marked) { ctx.directory.add_unread(user, -marked); };
  co_await store::write(ctx.storage, std::move(mark), std::move(committed));
  co_return no_content();
}

}  // namespace

void add_notification_routes(Router& router, ApiContext& ctx) {
  router.add("GET", "/api/v1/notifications",
             [&ctx](Request& r) -> asio::awaitable<Response> { return list(ctx, r); });
  router.add("POST", "/api/v1/notifications",
             [&ctx](Request& r) -> asio::awaitable<Response> { return publish(ctx, r); });
  router.add("GET", "/api/v1/notifications/unread-count",
             [&ctx](Request& r) -> asio::awaitable<Response> { return unread_count(ctx, r); });
  router.add("POST", "/api/v1/notifications/read-all",
             [&ctx](Request& r) -> asio::awaitable<Response> { return mark_all_read(ctx, r); });
  router.add("POST", "/api/v1/notifications/{int}/read",
             [&ctx](Request& r) -> asio::awaitable<Response> { return mark_read(ctx, r); });
}

}  // namespace herald::api
