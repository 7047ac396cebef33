// The settings table and text conversion (see config_table.hpp). Adding a
// setting: a field in Settings, a row here, a row in docs/CONFIGURATION.md.
#include "app/config_table.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <type_traits>

#include <fmt/format.h>

namespace herald::app {
namespace {

using S = Settings;

const std::array kFields{
    SettingField{"host", "--host", "Address to listen on", &S::host},
    SettingField{"port", "--port", "TCP port to listen on (1..65535)", &S::port},
    SettingField{"workers", "--workers", "Worker threads, one io_context each; 0 = one per core", &S::workers},
    SettingField{"data_dir", "--data-dir", "Directory for the SQLite files (herald.db, herald-archive.db) and the generated JWT secret",
                 &S::data_dir},
    SettingField{"tls_cert", "--tls-cert",
                 "PEM certificate file (chain); with --tls-key the port serves only TLS (https://,"
                 " wss://); re-read on SIGHUP; empty = plain HTTP",
                 &S::tls_cert},
    SettingField{"tls_key", "--tls-key", "PEM private key file of --tls-cert; re-read with it on SIGHUP",
                 &S::tls_key},
    SettingField{"web_root", "--web-root",
                 "Directory of static files served at / (the demo app), loaded at start; empty = ./web/dist, "
                 "else web/dist of the source tree; none = no files",
                 &S::web_root},
    SettingField{"jwt_secret", "--jwt-secret",
                 "HS256 secret shared with the backend that mints tokens; empty = generated once in the data "
                 "directory",
                 &S::jwt_secret},
    SettingField{"jwt_algorithm", "--jwt-algorithm", "The only JWT algorithm accepted: HS256, RS256 or ES256",
                 &S::jwt_algorithm},
    SettingField{"jwt_public_key_file", "--jwt-public-key",
                 "PEM public key file that verifies RS256/ES256 tokens (required for those)",
                 &S::jwt_public_key_file},
    SettingField{"jwt_private_key_file", "--jwt-private-key",
                 "PEM private key file used to mint RS256/ES256 tokens (login, `herald token`)",
                 &S::jwt_private_key_file},
    SettingField{"access_token_ttl_s", "--access-token-ttl", "Lifetime of issued access tokens, seconds",
                 &S::access_token_ttl_s},
    SettingField{"refresh_token_ttl_s", "--refresh-token-ttl", "Lifetime of issued refresh tokens, seconds",
                 &S::refresh_token_ttl_s},
    SettingField{"api_key", "--api-key", "Service key accepted in X-API-Key by POST /notifications; empty = none",
                 &S::api_key},
    SettingField{"max_message_bytes", "--max-message-bytes",
                 "Largest WebSocket message, all fragments counted; larger closes 1009", &S::max_message_bytes},
    SettingField{"max_http_body_bytes", "--max-http-body-bytes", "Largest HTTP request body; larger is 413",
                 &S::max_http_body_bytes},
    SettingField{"http_header_timeout_s", "--http-header-timeout",
                 "Seconds a request's whole header may take to arrive (from the connection's start,"
                 " or from the first byte of a later request); slower is closed",
                 &S::http_header_timeout_s},
    SettingField{"http_idle_timeout_s", "--http-idle-timeout",
                 "Seconds a keep-alive HTTP connection may wait for its next request", &S::http_idle_timeout_s},
    SettingField{"max_connections", "--max-connections",
                 "Open TCP connections (HTTP and WebSocket) in all; more are answered 503 and closed;"
                 " 0 = the open-file limit minus a reserve",
                 &S::max_connections},
    SettingField{"max_connections_per_address", "--max-connections-per-address",
                 "Open TCP connections from one client address (IPv6: one /64); more are answered 503"
                 " and closed; 0 = no cap (behind a reverse proxy)",
                 &S::max_connections_per_address},
    SettingField{"rate_limit_per_s", "--rate-limit", "Messages per second allowed per connection",
                 &S::rate_limit_per_s},
    SettingField{"rate_limit_burst", "--rate-burst", "Burst of messages allowed above the rate",
                 &S::rate_limit_burst},
    SettingField{"presence_rate_per_s", "--presence-rate",
                 "Presence status changes per second allowed per user (all tabs together)",
                 &S::presence_rate_per_s},
    SettingField{"presence_burst", "--presence-burst", "Burst of presence changes per user above the rate",
                 &S::presence_burst},
    SettingField{"typing_rate_per_s", "--typing-rate",
                 "Typing indicators per second allowed per user (all tabs together)",
                 &S::typing_rate_per_s},
    SettingField{"typing_burst", "--typing-burst", "Burst of typing indicators per user above the rate",
                 &S::typing_burst},
    SettingField{"storage_synchronous", "--storage-synchronous",
                 "normal (survives a process crash) or full (also power loss; fsync per commit)",
                 &S::storage_synchronous},
    SettingField{"storage_queue_max", "--storage-queue-max",
                 "Storage writes that may wait; beyond, chats get MESSAGE_PROCESSING_ERROR and REST 503",
                 &S::storage_queue_max},
    SettingField{"rest_rate_per_s", "--rest-rate", "Authenticated REST requests per second allowed per user",
                 &S::rest_rate_per_s},
    SettingField{"rest_burst", "--rest-burst", "Burst of REST requests per user above the rate",
                 &S::rest_burst},
    SettingField{"rate_limit_abuse_drops", "--rate-limit-abuse-drops",
                 "Dropped messages within a minute that close the connection with 1008",
                 &S::rate_limit_abuse_drops},
    SettingField{"max_connections_per_user", "--max-connections-per-user",
                 "Open connections per user; one more is closed 4009", &S::max_connections_per_user},
    SettingField{"max_subscriptions", "--max-subscriptions", "Subscribed contexts per connection",
                 &S::max_subscriptions},
    SettingField{"max_queue_bytes", "--max-queue-bytes",
                 "Outgoing queue bytes per connection; overflow closes 4010", &S::max_queue_bytes},
    SettingField{"max_queue_messages", "--max-queue-messages",
                 "Outgoing queue messages per connection; overflow closes 4010", &S::max_queue_messages},
    SettingField{"heartbeat_interval_s", "--heartbeat-interval",
                 "Seconds of silence before the server sends a WebSocket ping", &S::heartbeat_interval_s},
    SettingField{"heartbeat_timeout_s", "--heartbeat-timeout",
                 "Seconds without any frame before closing 4008; must exceed the interval",
                 &S::heartbeat_timeout_s},
    SettingField{"allowed_origins", "--allowed-origins",
                 "Origins allowed to open WebSockets (comma list or repeated); empty = any",
                 &S::allowed_origins},
    SettingField{"presence_audience", "--presence-audience",
                 "Who receives presence events: all (every online user) or followers", &S::presence_audience},
    SettingField{"broadcast_batch_ms", "--broadcast-batch-ms",
                 "Milliseconds broadcasts (user_status, presence, context events) are gathered"
                 " before one write per connection carries them all; 0 = send each at once",
                 &S::broadcast_batch_ms},
    SettingField{"broadcast_batch_max_ms", "--broadcast-batch-max-ms",
                 "Longest that window grows when writing broadcasts takes over a tenth of a"
                 " worker's time (below --broadcast-batch-ms: the window stays fixed)",
                 &S::broadcast_batch_max_ms},
    SettingField{"log_level", "--log-level", "trace, debug, info, warn, error, critical or off", &S::log_level},
    SettingField{"login_max_failures", "--login-max-failures",
                 "Failed logins per username and per address within the window before 429"
                 " (an attempt counts from its start; a success is not counted)",
                 &S::login_max_failures},
    SettingField{"login_window_s", "--login-window", "Window for counting failed logins, seconds",
                 &S::login_window_s},
    SettingField{"register_max_attempts", "--register-max-attempts",
                 "Registrations per address within the window before 429", &S::register_max_attempts},
    SettingField{"register_window_s", "--register-window", "Window for counting registrations, seconds",
                 &S::register_window_s},
    SettingField{"hash_queue_max", "--hash-queue-max",
                 "Password hashes waiting for the CPU pool before 503 (logins go first;"
                 " registrations may fill half)",
                 &S::hash_queue_max},
    SettingField{"throttle_max_keys", "--throttle-max-keys",
                 "Keys (usernames, addresses) each throttle table tracks at most", &S::throttle_max_keys},
    SettingField{"throttle_max_bytes", "--throttle-max-bytes",
                 "Memory each throttle table holds at most, bytes (at least 4096)", &S::throttle_max_bytes},
    SettingField{"redis_url", "--redis-url", "Redis URL (redis://host[:port][/db]) of the cluster's broker and presence; empty = single node (docs/OPERATIONS.md)",
                 &S::redis_url},
    SettingField{"database_url", "--database-url", "PostgreSQL URL: the storage a cluster's nodes share (docs/CLUSTER.md); empty = SQLite in the data directory",
                 &S::database_url},
    SettingField{"retention_days", "--retention-days", "Days a mailbox event stays replayable with since=",
                 &S::retention_days},
    SettingField{"retention_events", "--retention-events", "Events kept per mailbox for replay",
                 &S::retention_events},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  while (true) {
    auto comma = text.find(',');
    auto item = trim(text.substr(0, comma));
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

template <class T>
std::expected<T, std::string> parse_number(std::string_view text, std::string_view source) {
  text = trim(text);
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) {
    return std::unexpected(fmt::format("{}: '{}' is out of range", source, text));
  }
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
    constexpr bool kUnsigned = std::is_unsigned_v<T>;
    constexpr std::string_view kWhat = std::is_floating_point_v<T> ? "a number"
                                       : kUnsigned                 ? "a non-negative integer"
                                                                   : "an integer";
    return std::unexpected(fmt::format("{}: '{}' is not {}", source, text, kWhat));
  }
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(value)) return std::unexpected(fmt::format("{}: '{}' is not finite", source, text));
  }
  return value;
}

}  // namespace

std::span<const SettingField> setting_fields() { return kFields; }

const SettingField* find_setting(std::string_view key) {
  for (const auto& field : kFields) {
    if (field.key == key) return &field;
  }
  return nullptr;
}

std::string env_name(const SettingField& field) {
  std::string name = "HERALD_";
  for (char c : field.key) name += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return name;
}

std::string type_name(const SettingField& field) {
  struct Visitor {
    std::string operator()(std::string S::*) const { return "TEXT"; }
    std::string operator()(int S::*) const { return "INT"; }
    std::string operator()(unsigned S::*) const { return "UINT"; }
    std::string operator()(std::int64_t S::*) const { return "INT"; }
    std::string operator()(std::size_t S::*) const { return "UINT"; }
    std::string operator()(double S::*) const { return "NUMBER"; }
    std::string operator()(std::vector<std::string> S::*) const { return "LIST"; }
  };
  return std::visit(Visitor{}, field.member);
}

std::string value_text(const Settings& settings, const SettingField& field) {
  return std::visit(
      [&](auto member) -> std::string {
        const auto& value = settings.*member;
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return value;
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          return fmt::format("{}", fmt::join(value, ","));
        } else {
          return fmt::format("{}", value);
        }
      },
      field.member);
}

std::expected<void, std::string> assign_text(Settings& settings, const SettingField& field,
                                             std::string_view text, std::string_view source) {
  return std::visit(
      [&](auto member) -> std::expected<void, std::string> {
        auto& target = settings.*member;
        using T = std::decay_t<decltype(target)>;
        if constexpr (std::is_same_v<T, std::string>) {
          target = std::string(text);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          target = split_list(text);
        } else {
          auto parsed = parse_number<T>(text, source);
          if (!parsed) return std::unexpected(parsed.error());
          target = *parsed;
        }
        return {};
      },
      field.member);
}

void assign_list(Settings& settings, const SettingField& field, const std::vector<std::string>& items) {
  auto* member = std::get_if<std::vector<std::string> S::*>(&field.member);
  if (member == nullptr) return;
  auto& target = settings.**member;
  target.clear();
  for (const auto& item : items) {
    for (auto& part : split_list(item)) target.push_back(std::move(part));
  }
}

}  // namespace herald::app
