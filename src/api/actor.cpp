#include "api/actor.hpp"

#include "realtime/user_directory.hpp"
#include "store/async.hpp"
#include "util/clock.hpp"

namespace herald::api {

boost::asio::awaitable<Actor> known_actor(ApiContext& ctx, const auth::Claims& claims) {
  const UserId id = claims.user_id;
  if (auto entry = ctx.directory.find(id)) co_return Actor{id, entry->username};
  std::string name = claims.username.value_or("user" + std::to_string(raw(id)));
  auto ensure = [id, name](store::Database& db) { return db.ensure_user(id, name, util::unix_ms_now()); };
  auto user = co_await store::write(ctx.storage, std::move(ensure));
  ctx.directory.put(id, user.username, user.last_seq, user.last_seen_ms, user.created_at_ms);
  co_return Actor{id, user.username};
}

}  // namespace herald::api
