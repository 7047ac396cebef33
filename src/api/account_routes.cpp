// Accounts (PROTOCOL.md 6.2): register, login (JSON or OAuth2 form body),
// refresh with rotation; /users/me and /users/{id} are in user_routes.cpp.
// Passwords are Argon2id, hashed and checked on the CPU pool; logins are
// throttled per username and per address; wrong username and wrong
// password get the same answer.
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "api/context.hpp"
#include "auth/password.hpp"
#include "auth/secrets.hpp"
#include "realtime/hub.hpp"
#include "store/async.hpp"
#include "util/clock.hpp"

namespace herald::api {

namespace {

namespace asio = boost::asio;

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool valid_username(std::string_view s) {
  if (s.size() < 3 || s.size() > 32) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A JSON object body, or the 422 to send.
std::expected<boost::json::object, Response> json_body(const Request& r) {
  boost::system::error_code ec;
  auto value = boost::json::parse(r.body, ec);
  if (ec || !value.is_object()) {
    return std::unexpected(validation_error("body", "body", "a JSON object is required"));
  }
  return std::move(value.as_object());
}

std::optional<std::string> string_field(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return std::nullopt;
  return std::string(it->value().as_string());
}

// Runs fn on the CPU pool and resumes the awaiting coroutine on its own
// executor with the result. Written with async_initiate rather than a
// coroutine. Callers name their lambdas before co_await: g++ 12 destroys
// some temporaries of a co_await full-expression twice (seen here as a
// double free of a captured string).
template <class F>
auto on_cpu(ApiContext& ctx, F fn) {
  using R = std::invoke_result_t<F>;
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, R)>(
      [&ctx](auto handler, F work) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        asio::post(ctx.cpu_pool, [shared, work = std::move(work)]() mutable {
          std::exception_ptr error;
          R result{};
          try {
            result = work();
          } catch (...) {
            error = std::current_exception();
          }
          auto ex = asio::get_associated_executor(*shared);
          asio::post(ex, [shared, error, result = std::move(result)]() mutable {
            std::move (*shared)(error, std::move(result));
          });
        });
      },
      asio::use_awaitable, std::move(fn));
}

struct IssuedTokens {
  std::string access;
  std::string refresh;
  std::string jti;  // the refresh token's
  std::int64_t refresh_expires_at = 0;
};

IssuedTokens mint_tokens(const ApiContext& ctx, UserId user, const std::string& username,
                         std::int64_t now) {
  IssuedTokens t;
  t.jti = auth::random_hex(16);
  t.access = ctx.issuer.mint(user, username, auth::TokenType::access, now, ctx.access_ttl_s);
  t.refresh = ctx.issuer.mint(user, username, auth::TokenType::refresh, now, ctx.refresh_ttl_s,
                              std::nullopt, t.jti);
  t.refresh_expires_at = now + ctx.refresh_ttl_s;
  return t;
}

Response tokens_response(const ApiContext& ctx, const IssuedTokens& t) {
  boost::json::object o;
  o["access_token"] = t.access;
  o["refresh_token"] = t.refresh;
  o["token_type"] = "bearer";
  o["expires_in"] = ctx.access_ttl_s;
  return json_response(200, boost::json::serialize(o));
}

// A precomputed hash checked when the username is unknown, so a login
// takes the same time whether or not the account exists.
const std::string& dummy_hash() {
  static const std::string hash = auth::hash_password("herald-dummy-password");
  return hash;
}

}  // namespace

void add_account_routes(Router& router, ApiContext& ctx) {
  router.add("POST", "/api/v1/auth/register", [&ctx](Request& r) -> asio::awaitable<Response> {
    auto body = json_body(r);
    if (!body) co_return body.error();
    auto username = string_field(*body, "username");
    auto password = string_field(*body, "password");
    auto email = string_field(*body, "email").value_or("");
    if (!username || !valid_username(*username)) {
      co_return validation_error("body", "username", "username must be 3..32 characters of A-Z, a-z, 0-9 and _");
    }
    if (!password || code_points(*password) < 8 || code_points(*password) > 128) {
      co_return validation_error("body", "password", "password must be 8..128 characters");
    }
    auto hash_it = [pw = *password] { return auth::hash_password(pw); };
    std::string hash = co_await on_cpu(ctx, std::move(hash_it));
    std::int64_t now_ms = util::unix_ms_now();
    auto create = [name = *username, hash, email, now_ms](store::Database& db) {
      return db.create_account(name, hash, email, now_ms);
    };
    auto created = co_await store::write(ctx.storage, std::move(create));
    if (!created) co_return error_response(409, "Username already registered");
    ctx.hub.directory().put(created->id, created->username, Seq{0}, std::nullopt, created->created_at_ms);
    boost::json::object o;
    o["id"] = raw(created->id);
    o["username"] = created->username;
    o["created_at"] = util::iso8601_from_unix_ms(created->created_at_ms);
    co_return json_response(201, boost::json::serialize(o));
  });

  router.add("POST", "/api/v1/auth/login", [&ctx](Request& r) -> asio::awaitable<Response> {
    std::optional<std::string> username, password;
    if (has_media_type(r.content_type, "application/x-www-form-urlencoded")) {
      // FastAPI's OAuth2PasswordRequestForm body: percent-escapes and '+'
      // decoded (the encoded view compared "p%40ss" with "p@ss").
      auto fields = parse_form(r.body);
      if (!fields) co_return validation_error("body", "body", "malformed form body");
      for (auto& [key, value] : *fields) {
        if (key == "username") username = std::move(value);
        if (key == "password") password = std::move(value);
      }
    } else {
      auto body = json_body(r);
      if (!body) co_return body.error();
      username = string_field(*body, "username");
      password = string_field(*body, "password");
    }
    if (!username || !password) co_return validation_error("body", "username", "username and password are required");
    std::int64_t now = util::unix_seconds_now();
    std::string user_key = "u:" + lower(*username);
    std::string addr_key = "a:" + r.remote_address;
    if (!ctx.login_throttle.allowed(user_key, now) || !ctx.login_throttle.allowed(addr_key, now)) {
      Response resp = error_response(429, "Too many login attempts; try again later");
      auto retry = std::max(ctx.login_throttle.retry_after(user_key, now),
                            ctx.login_throttle.retry_after(addr_key, now));
      resp.headers.emplace_back("Retry-After", std::to_string(std::max<std::int64_t>(1, retry)));
      co_return resp;
    }
    auto find = [name = *username](store::Database& db) { return db.find_account(name); };
    auto account = co_await store::read(ctx.storage, std::move(find));
    std::string stored = account ? account->password_hash : dummy_hash();
    auto check = [stored, pw = *password] { return auth::verify_password(stored, pw); };
    bool ok = co_await on_cpu(ctx, std::move(check));
    if (!account || !ok) {
      ctx.login_throttle.record_failure(user_key, now);
      ctx.login_throttle.record_failure(addr_key, now);
      co_return error_response(401, "Incorrect username or password");
    }
    ctx.login_throttle.record_success(user_key);
    IssuedTokens tokens = mint_tokens(ctx, account->id, account->username, now);
    // A login starts a refresh-token family, named by its first token.
    auto store_token = [jti = tokens.jti, user = account->id, expires_at = tokens.refresh_expires_at,
                        now](store::Database& db) {
      db.store_refresh_token(jti, user, expires_at, jti, now);
      return true;
    };
    co_await store::write(ctx.storage, std::move(store_token));
    co_return tokens_response(ctx, tokens);
  });

  router.add("POST", "/api/v1/auth/refresh", [&ctx](Request& r) -> asio::awaitable<Response> {
    auto body = json_body(r);
    if (!body) co_return body.error();
    auto token = string_field(*body, "refresh_token");
    if (!token) co_return validation_error("body", "refresh_token", "refresh_token is required");
    std::int64_t now = util::unix_seconds_now();
    auto claims = ctx.verifier.verify(*token, now, auth::TokenType::refresh);
    if (!claims || !claims->jti) co_return error_response(401, "Invalid refresh token");
    const UserId user = claims->user_id;
    auto entry = ctx.hub.directory().find(user);
    std::string name = entry ? entry->username : claims->username.value_or("");
    // Minted first so that the check, the old token's use and the new
    // token's place in the family are one storage job: two refreshes racing
    // with one token cannot both succeed.
    IssuedTokens tokens = mint_tokens(ctx, user, name, now);
    auto rotate = [jti = *claims->jti, user, next = tokens.jti, expires_at = tokens.refresh_expires_at,
                   now](store::Database& db) {
      return db.rotate_refresh_token(jti, user, next, expires_at, now);
    };
    auto outcome = co_await store::write(ctx.storage, std::move(rotate));
    if (outcome == store::RefreshRotation::reused) {
      spdlog::warn("refresh token reused: its family is revoked user={} remote={}", raw(user),
                   r.remote_address);
    }
    if (outcome != store::RefreshRotation::rotated) {
      co_return error_response(401, "Refresh token already used or revoked");
    }
    co_return tokens_response(ctx, tokens);
  });
}

}  // namespace herald::api
