// Users (PROTOCOL.md 6.2): GET /users/me and GET /users/{id}.
//
// A REST read sees every user the server has admitted. The row of a user
// first seen in a token is written behind their first connection (a
// background job, realtime/hub_connect.cpp), so for a moment the user is in
// the UserDirectory but not yet in the database: the answer then comes from
// the directory (no followers yet, created_at the time first seen, the
// value the row will hold).
#include <boost/json.hpp>

#include "api/context.hpp"
#include "realtime/user_directory.hpp"
#include "store/async.hpp"
#include "util/clock.hpp"

namespace herald::api {
namespace {

namespace asio = boost::asio;

boost::json::object user_json(UserId id, std::string_view username, std::int64_t created_at_ms,
                              std::int64_t followers, std::int64_t following) {
  boost::json::object o;
  o["id"] = raw(id);
  o["username"] = username;
  o["created_at"] = util::iso8601_from_unix_ms(created_at_ms);
  o["followers_count"] = followers;
  o["following_count"] = following;
  return o;
}

Response user_response(const store::UserRecord& u) {
  return json_response(200, boost::json::serialize(user_json(u.id, u.username, u.created_at_ms,
                                                             u.followers_count, u.following_count)));
}

// The stored row, else the directory's entry, else nullopt (unknown user).
asio::awaitable<std::optional<Response>> known_user(ApiContext& ctx, UserId id) {
  auto lookup = [id](store::Database& db) { return db.get_user(id); };
  auto stored = co_await store::read(ctx.storage, std::move(lookup));
  if (stored) co_return user_response(*stored);
  // Read after the row's absence: an entry is never removed, so a user
  // admitted before the read is found here whether or not the row has
  // been written meanwhile.
  auto entry = ctx.directory.find(id);
  if (!entry) co_return std::nullopt;
  co_return json_response(200, boost::json::serialize(
                                   user_json(id, entry->username, entry->created_at_ms, 0, 0)));
}

}  // namespace

void add_user_routes(Router& router, ApiContext& ctx) {
  router.add("GET", "/api/v1/users/me", [&ctx](Request& r) -> asio::awaitable<Response> {
    auto claims = authenticate(ctx, r);
    if (!claims) co_return claims.error();
    UserId id = claims->user_id;
    if (ctx.directory.contains(id)) {  // known: a read, not a write job
      auto known = co_await known_user(ctx, id);
      if (known) co_return std::move(*known);
    }
    // A valid token for a user not yet known creates the record (PROTOCOL.md 1).
    std::string name = claims->username.value_or("user" + std::to_string(raw(id)));
    auto ensure = [id, name](store::Database& db) {
      return db.ensure_user(id, name, util::unix_ms_now());
    };
    auto user = co_await store::write(ctx.storage, std::move(ensure));
    if (!ctx.directory.contains(id)) {
      ctx.directory.put(id, user.username, user.last_seq, user.last_seen_ms, user.created_at_ms);
    }
    co_return user_response(user);
  });

  router.add("GET", "/api/v1/users/{int}", [&ctx](Request& r) -> asio::awaitable<Response> {
    auto claims = authenticate(ctx, r);
    if (!claims) co_return claims.error();
    UserId id{std::stoll(r.params[0])};
    auto known = co_await known_user(ctx, id);
    if (!known) co_return error_response(404, "User not found");
    co_return std::move(*known);
  });
}

}  // namespace herald::api
