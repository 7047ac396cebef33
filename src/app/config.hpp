#pragma once
// Herald's settings and command line. Every setting comes from four layers,
// highest precedence first: CLI flags > TOML file (--config) > HERALD_*
// environment variables > built-in defaults (DESIGN.md "CLI and config").
// One table (config_table.hpp) names each setting's flag, env var and TOML
// key, so the layers, `herald --help` and docs/CONFIGURATION.md agree.
// Invariant: parse_command_line() returns only settings that pass validate().
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <vector>

namespace herald::app {

struct Settings {
  std::string host = "127.0.0.1";
  int port = 8000;
  unsigned workers = 0;  // 0 = one per hardware core
  std::string data_dir = "./data";
  std::string tls_cert;  // PEM chain; with tls_key the port speaks TLS only (https, wss)
  std::string tls_key;   // PEM private key of tls_cert
  // The demo app's files served at `/`: empty = web/dist under the current
  // directory, else under the source tree the binary was built from;
  // "none" = serve no files (web_root.cpp).
  std::string web_root;

  std::string jwt_secret;  // empty: generated once and kept in data_dir
  std::string jwt_algorithm = "HS256";
  std::string jwt_public_key_file;
  std::string jwt_private_key_file;
  std::int64_t access_token_ttl_s = 3600;
  std::int64_t refresh_token_ttl_s = 30 * 86400;
  std::string api_key;  // service key for POST /notifications (X-API-Key)

  std::size_t max_message_bytes = 65536;
  std::size_t max_http_body_bytes = 1048576;
  int http_header_timeout_s = 10;  // a request's whole header must arrive within this
  int http_idle_timeout_s = 15;    // a keep-alive connection waits this long for the next request
  std::size_t max_connections = 0;  // open sockets in all; 0 = RLIMIT_NOFILE minus a reserve
  std::size_t max_connections_per_address = 256;  // per client address (IPv6: per /64); 0 = no cap
  double rate_limit_per_s = 20;
  double rate_limit_burst = 40;
  // One user's presence and typing broadcasts, all their tabs together.
  double presence_rate_per_s = 1;
  double presence_burst = 5;
  double typing_rate_per_s = 5;
  double typing_burst = 10;
  std::string storage_synchronous = "normal";  // normal | full (SQLite synchronous)
  std::size_t storage_queue_max = 100000;     // queued storage writes before refusing
  double rest_rate_per_s = 20;  // authenticated REST requests per user
  double rest_burst = 40;
  int rate_limit_abuse_drops = 10;  // drops within a minute -> close 1008
  int max_connections_per_user = 10;
  int max_subscriptions = 100;
  std::size_t max_queue_bytes = 1048576;
  std::size_t max_queue_messages = 1000;
  int heartbeat_interval_s = 30;
  int heartbeat_timeout_s = 75;
  std::vector<std::string> allowed_origins;  // empty = any
  std::string presence_audience = "all";     // all | followers
  int broadcast_batch_ms = 20;  // broadcasts gathered this long, then written together; 0 = at once
  int broadcast_batch_max_ms = 100;  // ... and up to this long when flushes grow costly
  std::string log_level = "info";
  int login_max_failures = 5;
  std::int64_t login_window_s = 300;
  int register_max_attempts = 10;  // per address
  std::int64_t register_window_s = 600;
  std::size_t hash_queue_max = 64;  // password hashes waiting; registrations may fill half
  std::size_t throttle_max_keys = 100'000;          // per throttle table
  std::size_t throttle_max_bytes = 16u * 1024 * 1024;  // per throttle table

  std::string redis_url;  // cluster, later issues
  std::string database_url;
  int retention_days = 30;
  int retention_events = 10000;
};

enum class Command { serve, token, version, help };

// `herald token ...`: parsed here, minted by the caller (auth::JwtIssuer).
struct TokenCommand {
  std::int64_t user_id = 0;
  std::string username;
  std::int64_t ttl_s = 3600;  // without --ttl: the access or refresh TTL setting
  std::string role;
  std::string type = "access";  // access | refresh
};

struct ParsedCommandLine {
  Command command = Command::serve;
  Settings settings;
  TokenCommand token;
  std::string help_text;  // Command::help: what to print (stdout, exit 0)
};

// What main() passes for `env`: a getenv-like lookup. Tests inject a map.
using EnvLookup = std::function<const char*(const char*)>;

// argv as given to main. Errors are one line, naming the flag, variable or
// TOML key at fault. Without a subcommand, `herald [flags]` means serve.
std::expected<ParsedCommandLine, std::string> parse_command_line(int argc, const char* const* argv,
                                                                 const EnvLookup& env);

// "" when valid, else the first problem found.
std::string validate(const Settings& settings);

// One line of key=value pairs for the startup log; secrets (jwt_secret,
// api_key, passwords inside URLs) are redacted.
std::string describe_for_log(const Settings& settings);

}  // namespace herald::app
