// Accounts (PROTOCOL.md 6.2): register, login (JSON or OAuth2 form body) and
// refresh with rotation; /users/me and /users/{id} are in user_routes.cpp.
//
// Passwords are Argon2id, hashed and checked on the CPU pool: a login's
// check at high priority (ahead of queued registrations), a registration's
// hash at low; a full queue is 503 with Retry-After. Logins are throttled
// per username and per address, registrations per address, each attempt
// counted when it starts. Wrong username and wrong password get the same
// answer, and so does a login that cannot match any account (a username
// outside the registration rule, a password beyond its length): that one is
// refused before any throttle entry, lookup or hash.
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "api/context.hpp"
#include "api/cpu_work.hpp"
#include "auth/password.hpp"
#include "auth/secrets.hpp"
#include "realtime/user_directory.hpp"
#include "store/async.hpp"
#include "util/clock.hpp"

namespace herald::api {

namespace {

namespace asio = boost::asio;

constexpr std::size_t kMinPassword = 8;    // code points
constexpr std::size_t kMaxPassword = 128;  // code points
constexpr std::string_view kWrongCredentials = "Incorrect username or password";

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

bool valid_password(std::string_view s) {
  // Bytes first: a megabyte of password is refused without counting it.
  if (s.size() > 4 * kMaxPassword) return false;
  const std::size_t n = code_points(s);
  return n >= kMinPassword && n <= kMaxPassword;
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

Response with_retry_after(Response response, std::int64_t seconds) {
  response.headers.emplace_back("Retry-After", std::to_string(std::max<std::int64_t>(1, seconds)));
  return response;
}

// The CPU pool's queue is full: a short, honest wait.
Response hashing_busy() {
  return with_retry_after(error_response(503, "Server busy; try again shortly"), 1);
}

struct Credentials {
  std::string username;
  std::string password;
};

// A login body: JSON, or the form FastAPI's OAuth2PasswordRequestForm sends.
std::expected<Credentials, Response> login_credentials(const Request& r) {
  std::optional<std::string> username, password;
  if (has_media_type(r.content_type, "application/x-www-form-urlencoded")) {
    auto fields = parse_form(r.body);
    if (!fields) return std::unexpected(validation_error("body", "body", "malformed form body"));
    for (auto& [key, value] : *fields) {
      if (key == "username") username = std::move(value);
      if (key == "password") password = std::move(value);
    }
  } else {
    auto body = json_body(r);
    if (!body) return std::unexpected(body.error());
    username = string_field(*body, "username");
    password = string_field(*body, "password");
  }
  if (!username || !password) {
    return std::unexpected(validation_error("body", "username", "username and password are required"));
  }
  return Credentials{std::move(*username), std::move(*password)};
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

asio::awaitable<Response> register_account(ApiContext& ctx, Request& r) {
  auto body = json_body(r);
  if (!body) co_return body.error();
  auto username = string_field(*body, "username");
  auto password = string_field(*body, "password");
  auto email = string_field(*body, "email").value_or("");
  if (!username || !valid_username(*username)) {
    co_return validation_error("body", "username", "username must be 3..32 characters of A-Z, a-z, 0-9 and _");
  }
  if (!password || !valid_password(*password)) {
    co_return validation_error("body", "password", "password must be 8..128 characters");
  }
  // Counted before the hash: a registration costs tens of milliseconds of
  // CPU whether or not the name turns out to be taken.
  const std::int64_t now = util::unix_seconds_now();
  const std::string addr_key = "r:" + r.remote_address;
  if (auto wait = ctx.register_throttle.begin_attempt(addr_key, now); wait > 0) {
    co_return with_retry_after(error_response(429, "Too many registrations; try again later"), wait);
  }
  auto hash_it = [pw = *password] { return auth::hash_password(pw); };
  auto hash = co_await on_cpu(ctx.cpu_pool, util::Priority::low, std::move(hash_it));
  if (!hash) {
    ctx.register_throttle.cancel_attempt(addr_key, now);  // nothing was done: not counted
    co_return hashing_busy();
  }
  std::int64_t now_ms = util::unix_ms_now();
  auto create = [name = *username, hash = std::move(*hash), email, now_ms](store::Database& db) {
    return db.create_account(name, hash, email, now_ms);
  };
  auto created = co_await store::write(ctx.storage, std::move(create));
  if (!created) co_return error_response(409, "Username already registered");
  ctx.directory.put(created->id, created->username, Seq{0}, std::nullopt, created->created_at_ms);
  boost::json::object o;
  o["id"] = raw(created->id);
  o["username"] = created->username;
  o["created_at"] = util::iso8601_from_unix_ms(created->created_at_ms);
  co_return json_response(201, boost::json::serialize(o));
}

asio::awaitable<Response> login(ApiContext& ctx, Request& r) {
  auto credentials = login_credentials(r);
  if (!credentials) co_return credentials.error();
  auto& [username, password] = *credentials;
  if (!valid_username(username) || !valid_password(password)) {
    co_return error_response(401, kWrongCredentials);
  }
  // The attempt is counted on both keys before the password is checked, in
  // one step with the check, so parallel guesses cannot all slip through.
  const std::int64_t now = util::unix_seconds_now();
  const std::string user_key = "u:" + lower(username);
  const std::string addr_key = "a:" + r.remote_address;
  const std::string_view keys[] = {user_key, addr_key};
  if (auto wait = ctx.login_throttle.begin_attempt(keys, now); wait > 0) {
    co_return with_retry_after(error_response(429, "Too many login attempts; try again later"), wait);
  }
  auto find = [name = username](store::Database& db) { return db.find_account(name); };
  auto account = co_await store::read(ctx.storage, std::move(find));
  const std::string& stored = account ? account->password_hash : dummy_hash();
  auto check = [stored, pw = password] { return auth::verify_password(stored, pw); };
  auto ok = co_await on_cpu(ctx.cpu_pool, util::Priority::high, std::move(check));
  if (!ok) {
    ctx.login_throttle.cancel_attempt(user_key, now);  // not checked: not counted
    ctx.login_throttle.cancel_attempt(addr_key, now);
    co_return hashing_busy();
  }
  if (!account || !*ok) co_return error_response(401, kWrongCredentials);
  // Success: the username starts afresh, and the address keeps counting
  // failures only (a user who logs in often is never throttled).
  ctx.login_throttle.record_success(user_key);
  ctx.login_throttle.cancel_attempt(addr_key, now);
  IssuedTokens tokens = mint_tokens(ctx, account->id, account->username, now);
  // A login starts a refresh-token family, named by its first token.
  auto store_token = [jti = tokens.jti, user = account->id, expires_at = tokens.refresh_expires_at,
                      now](store::Database& db) {
    db.store_refresh_token(jti, user, expires_at, jti, now);
    return true;
  };
  co_await store::write(ctx.storage, std::move(store_token));
  co_return tokens_response(ctx, tokens);
}

asio::awaitable<Response> refresh(ApiContext& ctx, Request& r) {
  auto body = json_body(r);
  if (!body) co_return body.error();
  auto token = string_field(*body, "refresh_token");
  if (!token) co_return validation_error("body", "refresh_token", "refresh_token is required");
  const std::int64_t now = util::unix_seconds_now();
  auto claims = ctx.verifier.verify(*token, now, auth::TokenType::refresh);
  if (!claims || !claims->jti) co_return error_response(401, "Invalid refresh token");
  const UserId user = claims->user_id;
  auto entry = ctx.directory.find(user);
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
}

}  // namespace

void add_account_routes(Router& router, ApiContext& ctx) {
  router.add("POST", "/api/v1/auth/register",
             [&ctx](Request& r) -> asio::awaitable<Response> { return register_account(ctx, r); });
  router.add("POST", "/api/v1/auth/login",
             [&ctx](Request& r) -> asio::awaitable<Response> { return login(ctx, r); });
  router.add("POST", "/api/v1/auth/refresh",
             [&ctx](Request& r) -> asio::awaitable<Response> { return refresh(ctx, r); });
}

}  // namespace herald::api
