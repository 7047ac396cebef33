#include "api/context.hpp"
#include "api/rest_rate_limit.hpp"
#include "util/clock.hpp"

namespace herald::api {

std::expected<auth::Claims, Response> authenticate(const ApiContext& ctx, const Request& request) {
  constexpr std::string_view kPrefix = "Bearer ";
  std::string_view header = request.authorization;
  if (header.size() <= kPrefix.size() ||
      !std::equal(kPrefix.begin(), kPrefix.end(), header.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return std::unexpected(error_response(401, "Not authenticated"));
  }
  auto claims = ctx.verifier.verify(header.substr(kPrefix.size()), util::unix_seconds_now(),
                                    auth::TokenType::access);
  if (!claims) {
    return std::unexpected(error_response(
        401, claims.error() == auth::TokenError::expired ? "Token expired" : "Could not validate credentials"));
  }
  if (ctx.rest_rate_limit && !ctx.rest_rate_limit->allow(claims->user_id, RestRateLimit::Clock::now())) {
    Response limited = error_response(429, "Too many requests; slow down");
    limited.headers.emplace_back("Retry-After", "1");
    return std::unexpected(std::move(limited));
  }
  return *claims;
}

}  // namespace herald::api
