#pragma once
// The authenticated user as the author of a social action. A user known
// only from a token may be unknown to the server yet (PROTOCOL.md 1): their
// record is created first, so anyone they later notify back (a reply, a
// follow back) is a known user whose unread count the directory keeps.
#include <boost/asio/awaitable.hpp>

#include "api/context.hpp"
#include "api/social_rules.hpp"

namespace herald::api {

boost::asio::awaitable<Actor> known_actor(ApiContext& ctx, const auth::Claims& claims);

}  // namespace herald::api
