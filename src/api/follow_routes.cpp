// Follows (PROTOCOL.md 6.3): POST/DELETE /users/{id}/follow and the
// followers and following lists.
//
// Decisions (docs/NOTIFICATIONS.md): following raises `new_follower` only
// the first time a user follows another, ever: following twice is a no-op,
// and unfollowing then following again restores the edge without a second
// notification (notified_once), so toggling cannot spam anyone. Following
// yourself is 422. The lists are ordered by user id, descending, and
// `before` is a user id: the follows table has no id of its own, and its
// two indexes serve exactly these orders.
#include "api/actor.hpp"
#include "api/context.hpp"
#include "api/notification_publish.hpp"
#include "api/paging.hpp"
#include "cluster/broker.hpp"
#include "realtime/follow_graph.hpp"
#include "protocol/json_writer.hpp"
#include "realtime/user_directory.hpp"
#include "store/async.hpp"
#include "util/clock.hpp"

namespace herald::api {

namespace {

namespace asio = boost::asio;

struct FollowResult {
  std::vector<store::NotificationRecord> stored;
};

asio::awaitable<Response> follow(ApiContext& ctx, Request& r) {
  auto claims = authenticate(ctx, r);
  if (!claims) co_return claims.error();
  const UserId target{std::stoll(r.params[0])};
  if (!ctx.directory.contains(target)) co_return error_response(404, "User not found");
  if (target == claims->user_id) co_return validation_error("path", "id", "you cannot follow yourself");
  Actor actor = co_await known_actor(ctx, *claims);
  auto job = [actor, target](store::Database& db) {
    FollowResult result;
    const std::int64_t now = util::unix_ms_now();
    if (db.follow(actor.id, target, now) && db.note_once(store::OnceKind::follow, raw(target), actor.id)) {
      Recipients recipients(actor.id);
      recipients.add(target, new_follower(actor));
      result.stored = store_planned(db, recipients, now);
    }
    return result;
  };
  // After the commit the edge is stored: the presence audience has it too,
  // before the 204 (the follower's next presence event reaches them).
  auto committed = [&ctx, follower = actor.id, target](const FollowResult& result) {
    if (ctx.follows) ctx.follows->follow(follower, target);
    ctx.broker->publish_follow(follower, target, true);  // the other nodes' graphs
    publish_stored(*ctx.broker, ctx.directory, result.stored);
  };
  co_await store::write(ctx.storage, std::move(job), std::move(committed));
  co_return no_content();
}

asio::awaitable<Response> unfollow(ApiContext& ctx, Request& r) {
  auto claims = authenticate(ctx, r);
  if (!claims) co_return claims.error();
  const UserId target{std::stoll(r.params[0])};
  if (!ctx.directory.contains(target)) co_return error_response(404, "User not found");
  auto job = [follower = claims->user_id, target](store::Database& db) { return db.unfollow(follower, target); };
  auto committed = [&ctx, follower = claims->user_id, target](const auto&) {
    if (ctx.follows) ctx.follows->unfollow(follower, target);
    ctx.broker->publish_follow(follower, target, false);
  };
  co_await store::write(ctx.storage, std::move(job), std::move(committed));
  co_return no_content();
}

std::string entry_json(const store::FollowEntry& e) {
  std::string out = R"({"id":)";
  protocol::append_int(out, raw(e.user));
  out += R"(,"username":)";
  protocol::append_json_string(out, e.username);
  out += R"(,"followed_at":)";
  protocol::append_json_string(out, util::iso8601_from_unix_ms(e.followed_at_ms));
  out += '}';
  return out;
}

asio::awaitable<Response> list(ApiContext& ctx, Request& r, bool followers) {
  auto claims = authenticate(ctx, r);
  if (!claims) co_return claims.error();
  const UserId user{std::stoll(r.params[0])};
  if (!ctx.directory.contains(user)) co_return error_response(404, "User not found");
  auto page = page_query(r);
  if (!page) co_return page.error();
  auto read_page = [user, page = *page, followers](store::Database& db) {
    return followers ? db.list_followers(user, page) : db.list_following(user, page);
  };
  auto rows = co_await store::read(ctx.storage, std::move(read_page));
  co_return page_response(rows, page->limit - 1, entry_json,
                          [](const store::FollowEntry& e) { return raw(e.user); });
}

}  // namespace

void add_follow_routes(Router& router, ApiContext& ctx) {
  router.add("POST", "/api/v1/users/{int}/follow",
             [&ctx](Request& r) -> asio::awaitable<Response> { return follow(ctx, r); });
  router.add("DELETE", "/api/v1/users/{int}/follow",
             [&ctx](Request& r) -> asio::awaitable<Response> { return unfollow(ctx, r); });
  router.add("GET", "/api/v1/users/{int}/followers",
             [&ctx](Request& r) -> asio::awaitable<Response> { return list(ctx, r, true); });
  router.add("GET", "/api/v1/users/{int}/following",
             [&ctx](Request& r) -> asio::awaitable<Response> { return list(ctx, r, false); });
}

}  // namespace herald::api
