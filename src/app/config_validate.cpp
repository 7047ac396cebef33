// Validation of a complete Settings (after all layers) and its redacted
// one-line description for the startup log. Rules check what the server
// cannot run with or would misbehave on; messages name the setting as its
// flag, since that is what an operator types.
#include <string_view>

#include <fmt/format.h>

#include "app/config.hpp"
#include "app/config_table.hpp"
#include "auth/jwt.hpp"
#include "cluster/redis_url.hpp"
#include "util/logging.hpp"

namespace herald::app {
namespace {

constexpr unsigned kMaxWorkers = 1024;
constexpr std::size_t kMinThrottleBytes = 4096;  // a few dozen keys: below that it throttles nothing

bool one_of(std::string_view value, std::initializer_list<std::string_view> allowed) {
  for (auto option : allowed) {
    if (value == option) return true;
  }
  return false;
}

bool starts_with_any(std::string_view value, std::initializer_list<std::string_view> prefixes) {
  for (auto prefix : prefixes) {
    if (value.starts_with(prefix)) return true;
  }
  return false;
}

// "scheme://user:password@host/..." -> "scheme://user:***@host/..."
std::string redact_url(std::string_view url) {
  auto scheme_end = url.find("://");
  auto at = url.rfind('@');
  if (scheme_end == std::string_view::npos || at == std::string_view::npos || at < scheme_end) {
    return std::string(url);
  }
  auto userinfo = url.substr(scheme_end + 3, at - scheme_end - 3);
  auto colon = userinfo.find(':');
  if (colon == std::string_view::npos) return std::string(url);
  return fmt::format("{}{}:***{}", url.substr(0, scheme_end + 3), userinfo.substr(0, colon), url.substr(at));
}

}  // namespace

std::string validate(const Settings& s) {
  if (s.host.empty()) return "--host: must not be empty";
  if (s.port < 1 || s.port > 65535) return fmt::format("--port: {} is not in 1..65535", s.port);
  if (s.workers > kMaxWorkers) return fmt::format("--workers: {} is more than {}", s.workers, kMaxWorkers);
  if (s.data_dir.empty()) return "--data-dir: must not be empty";
  if (!s.tls_cert.empty() && s.tls_key.empty()) return "--tls-key: required with --tls-cert";
  if (s.tls_cert.empty() && !s.tls_key.empty()) return "--tls-cert: required with --tls-key";

  if (!one_of(s.jwt_algorithm, {"HS256", "RS256", "ES256"})) {
    return fmt::format("--jwt-algorithm: '{}' is not one of HS256, RS256, ES256", s.jwt_algorithm);
  }
  // RFC 7518 3.2: an HS256 key of at least the hash's 256 bits. A shorter
  // one can be brute-forced offline from any token it signed.
  if (s.jwt_algorithm == "HS256" && !s.jwt_secret.empty() &&
      s.jwt_secret.size() < auth::kMinHs256SecretBytes) {
    return fmt::format("--jwt-secret: must be at least {} bytes for HS256, this one has {}"
                       " (e.g. `openssl rand -hex 32`)",
                       auth::kMinHs256SecretBytes, s.jwt_secret.size());
  }
  if (s.jwt_algorithm != "HS256" && s.jwt_public_key_file.empty()) {
    return fmt::format("--jwt-public-key: required with --jwt-algorithm {}", s.jwt_algorithm);
  }
  if (s.access_token_ttl_s <= 0) return "--access-token-ttl: must be a positive number of seconds";
  if (s.refresh_token_ttl_s <= 0) return "--refresh-token-ttl: must be a positive number of seconds";

  if (s.max_message_bytes == 0) return "--max-message-bytes: must be positive";
  if (s.max_http_body_bytes == 0) return "--max-http-body-bytes: must be positive";
  if (s.http_header_timeout_s <= 0) return "--http-header-timeout: must be a positive number of seconds";
  if (s.http_idle_timeout_s <= 0) return "--http-idle-timeout: must be a positive number of seconds";
  if (!(s.rate_limit_per_s > 0)) return "--rate-limit: must be positive";
  if (!(s.rate_limit_burst >= 1)) return "--rate-burst: must be at least 1";
  if (!(s.presence_rate_per_s > 0)) return "--presence-rate: must be positive";
  if (!(s.presence_burst >= 1)) return "--presence-burst: must be at least 1";
  if (!(s.typing_rate_per_s > 0)) return "--typing-rate: must be positive";
  if (!(s.typing_burst >= 1)) return "--typing-burst: must be at least 1";
  if (s.storage_synchronous != "normal" && s.storage_synchronous != "full") {
    return "--storage-synchronous: must be normal or full";
  }
  if (s.storage_queue_max == 0) return "--storage-queue-max: must be at least 1";
  if (!(s.rest_rate_per_s > 0)) return "--rest-rate: must be positive";
  if (!(s.rest_burst >= 1)) return "--rest-burst: must be at least 1";
  if (s.rate_limit_abuse_drops <= 0) return "--rate-limit-abuse-drops: must be positive";
  if (s.max_connections_per_user <= 0) return "--max-connections-per-user: must be positive";
  if (s.max_subscriptions <= 0) return "--max-subscriptions: must be positive";
  if (s.max_queue_bytes == 0) return "--max-queue-bytes: must be positive";
  if (s.max_queue_messages == 0) return "--max-queue-messages: must be positive";
  if (s.heartbeat_interval_s <= 0) return "--heartbeat-interval: must be positive";
  if (s.broadcast_batch_ms < 0 || s.broadcast_batch_ms > 1000) {
    return fmt::format("--broadcast-batch-ms: {} is not within 0..1000", s.broadcast_batch_ms);
  }
  // A maximum below --broadcast-batch-ms is not an error: the window never
  // shrinks below the minimum (BroadcastWindow), so it is simply fixed.
  if (s.broadcast_batch_max_ms < 0 || s.broadcast_batch_max_ms > 1000) {
    return fmt::format("--broadcast-batch-max-ms: {} is not within 0..1000", s.broadcast_batch_max_ms);
  }
  if (s.heartbeat_timeout_s <= s.heartbeat_interval_s) {
    return fmt::format("--heartbeat-timeout: {} must be greater than --heartbeat-interval {}",
                       s.heartbeat_timeout_s, s.heartbeat_interval_s);
  }
  for (const auto& origin : s.allowed_origins) {
    if (origin.empty()) return "--allowed-origins: an origin is empty";
  }
  if (!one_of(s.presence_audience, {"all", "followers"})) {
    return fmt::format("--presence-audience: '{}' is not one of all, followers", s.presence_audience);
  }
  if (!util::is_log_level(s.log_level)) {
    return fmt::format("--log-level: '{}' is not one of trace, debug, info, warn, error, critical, off",
                       s.log_level);
  }
  if (s.login_max_failures <= 0) return "--login-max-failures: must be positive";
  if (s.login_window_s <= 0) return "--login-window: must be a positive number of seconds";
  if (s.register_max_attempts <= 0) return "--register-max-attempts: must be positive";
  if (s.register_window_s <= 0) return "--register-window: must be a positive number of seconds";
  if (s.hash_queue_max == 0) return "--hash-queue-max: must be positive";
  if (s.throttle_max_keys == 0) return "--throttle-max-keys: must be positive";
  if (s.throttle_max_bytes < kMinThrottleBytes) {
    return fmt::format("--throttle-max-bytes: {} is less than {}", s.throttle_max_bytes, kMinThrottleBytes);
  }

  if (!s.redis_url.empty()) {
    // What RedisLink can connect to (redis_url.hpp); its message never
    // repeats a password.
    if (auto url = cluster::parse_redis_url(s.redis_url); !url) return "--redis-url: " + url.error();
  }
  if (!s.database_url.empty() && !starts_with_any(s.database_url, {"postgres://", "postgresql://"})) {
    return "--database-url: must start with postgres:// or postgresql://";
  }
  if (s.retention_days <= 0) return "--retention-days: must be positive";
  if (s.retention_events <= 0) return "--retention-events: must be positive";
  return "";
}

std::string describe_for_log(const Settings& settings) {
  std::string line;
  for (const auto& field : setting_fields()) {
    std::string value = value_text(settings, field);
    if (field.key == "jwt_secret" || field.key == "api_key") {
      value = value.empty() ? "" : "***";
    } else if (field.key == "redis_url" || field.key == "database_url") {
      value = redact_url(value);
    }
    if (!line.empty()) line += ' ';
    line += fmt::format("{}={}", field.key, value.empty() ? "\"\"" : value);
  }
  return line;
}

}  // namespace herald::app
