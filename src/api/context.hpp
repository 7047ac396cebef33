#pragma once
// Everything the REST handlers reach, wired once by app/. Handlers stay
// thin: parse the request, call a module, write the response.
#include <cstdint>
#include <expected>
#include <functional>
#include <string>

#include "api/http.hpp"
#include "api/router.hpp"
#include "auth/jwt.hpp"
#include "auth/login_throttle.hpp"
#include "util/cpu_pool.hpp"

namespace herald::store {
class StorageRunner;
}
namespace herald::cluster {
class Broker;
}
namespace herald::realtime {
class FollowGraph;
class PresenceReads;
class UserDirectory;
}

namespace herald::api {

class RestRateLimit;

struct Readiness {
  bool ready = true;
  std::string reason;
};

struct ApiContext {
  store::StorageRunner& storage;
  // Argon2id hashing takes tens of milliseconds of CPU: it runs here, never
  // on a worker; a login's check at high priority, a registration's hash at low.
  util::CpuPool& cpu_pool;
  const auth::JwtVerifier& verifier;
  const auth::JwtIssuer& issuer;
  // Who is online (6.1) and every user the server has admitted.
  const realtime::PresenceReads& presence;
  realtime::UserDirectory& directory;
  auth::LoginThrottle& login_throttle;     // keys "u:<name>" and "a:<address>"
  auth::LoginThrottle& register_throttle;  // key "r:<address>"
  std::int64_t access_ttl_s = 3600;
  std::int64_t refresh_ttl_s = 30 * 86400;
  std::string api_key;
  std::function<Readiness()> readiness;
  // Requests per authenticated user; null = unlimited.
  RestRateLimit* rest_rate_limit = nullptr;
  // Where stored notifications are published (from storage commit hooks).
  cluster::Broker* broker = nullptr;
  // The presence audience `followers` (kept current by follow/unfollow).
  realtime::FollowGraph* follows = nullptr;
};

// The Bearer token's claims, or the 401 to send (PROTOCOL.md 6).
std::expected<auth::Claims, Response> authenticate(const ApiContext& ctx, const Request& request);

void add_operation_routes(Router& router, ApiContext& ctx);  // 6.6
void add_online_routes(Router& router, ApiContext& ctx);     // 6.1
void add_account_routes(Router& router, ApiContext& ctx);    // 6.2: register, login, refresh
void add_user_routes(Router& router, ApiContext& ctx);       // 6.2: /users/me, /users/{id}
void add_follow_routes(Router& router, ApiContext& ctx);     // 6.3: follow, followers, following
void add_post_routes(Router& router, ApiContext& ctx);       // 6.3: posts, likes, comments
void add_notification_routes(Router& router, ApiContext& ctx);  // 6.4
void add_history_routes(Router& router, ApiContext& ctx);    // 6.5: /messages/{id}, /conversations

}  // namespace herald::api
