// Precedence of the configuration layers: flag > TOML file > env > default,
// checked setting by setting for several types (int, text, number, list).
#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace herald::app {
namespace {

using testing::FakeEnv;
using testing::parse;
using testing::TempToml;

TEST(ConfigPrecedence, DefaultsWhenNothingIsGiven) {
  auto parsed = parse({});
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->command, Command::serve);
  const Settings& s = parsed->settings;
  EXPECT_EQ(s.host, "127.0.0.1");
  EXPECT_EQ(s.port, 8000);
  EXPECT_EQ(s.workers, 0u);
  EXPECT_EQ(s.data_dir, "./data");
  EXPECT_EQ(s.jwt_algorithm, "HS256");
  EXPECT_EQ(s.max_message_bytes, 65536u);
  EXPECT_DOUBLE_EQ(s.rate_limit_per_s, 20);
  EXPECT_TRUE(s.allowed_origins.empty());
  EXPECT_EQ(s.presence_audience, "all");
}

TEST(ConfigPrecedence, EnvBeatsDefault) {
  FakeEnv env{{{"HERALD_PORT", "9001"},
               {"HERALD_JWT_SECRET", "from-env-0123456789abcdef0123456789"},
               {"HERALD_RATE_LIMIT_PER_S", "7.5"},
               {"HERALD_ALLOWED_ORIGINS", "https://a.example, https://b.example"},
               {"HERALD_WORKERS", "3"}}};
  auto parsed = parse({"serve"}, env);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->settings.port, 9001);
  EXPECT_EQ(parsed->settings.jwt_secret, "from-env-0123456789abcdef0123456789");
  EXPECT_DOUBLE_EQ(parsed->settings.rate_limit_per_s, 7.5);
  EXPECT_EQ(parsed->settings.allowed_origins,
            (std::vector<std::string>{"https://a.example", "https://b.example"}));
  EXPECT_EQ(parsed->settings.workers, 3u);
}

TEST(ConfigPrecedence, EmptyEnvValueCountsAsUnset) {
  FakeEnv env{{{"HERALD_PORT", ""}}};
  auto parsed = parse({}, env);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->settings.port, 8000);
}

TEST(ConfigPrecedence, FileBeatsEnv) {
  TempToml file(R"(
port = 9100
jwt_secret = "from-file-0123456789abcdef0123456789"
rate_limit_per_s = 5
allowed_origins = ["https://file.example"]
)");
  FakeEnv env{{{"HERALD_PORT", "9001"},
               {"HERALD_JWT_SECRET", "from-env-0123456789abcdef0123456789"},
               {"HERALD_RATE_LIMIT_PER_S", "7.5"},
               {"HERALD_ALLOWED_ORIGINS", "https://env.example"},
               {"HERALD_HOST", "0.0.0.0"}}};
  auto parsed = parse({"--config", file.path()}, env);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->settings.port, 9100);
  EXPECT_EQ(parsed->settings.jwt_secret, "from-file-0123456789abcdef0123456789");
  EXPECT_DOUBLE_EQ(parsed->settings.rate_limit_per_s, 5);
  EXPECT_EQ(parsed->settings.allowed_origins, std::vector<std::string>{"https://file.example"});
  EXPECT_EQ(parsed->settings.host, "0.0.0.0");  // not in the file: env still applies
}

TEST(ConfigPrecedence, FlagBeatsFileAndEnv) {
  TempToml file("port = 9100\njwt_secret = \"from-file-0123456789abcdef0123456789\"\nrate_limit_per_s = 5\nheartbeat_interval_s = 20\n");
  FakeEnv env{{{"HERALD_PORT", "9001"}, {"HERALD_JWT_SECRET", "from-env-0123456789abcdef0123456789"}, {"HERALD_LOG_LEVEL", "debug"}}};
  auto parsed = parse({"serve", "--config", file.path(), "--port", "9200", "--jwt-secret", "from-flag-0123456789abcdef0123456789",
                       "--rate-limit", "2.5", "--allowed-origins", "https://x.example,https://y.example",
                       "--allowed-origins", "https://z.example"},
                      env);
  ASSERT_TRUE(parsed) << parsed.error();
  const Settings& s = parsed->settings;
  EXPECT_EQ(s.port, 9200);
  EXPECT_EQ(s.jwt_secret, "from-flag-0123456789abcdef0123456789");
  EXPECT_DOUBLE_EQ(s.rate_limit_per_s, 2.5);
  EXPECT_EQ(s.allowed_origins,
            (std::vector<std::string>{"https://x.example", "https://y.example", "https://z.example"}));
  EXPECT_EQ(s.heartbeat_interval_s, 20);  // file only
  EXPECT_EQ(s.log_level, "debug");        // env only
}

TEST(ConfigPrecedence, ConfigPathFromEnvAndFlagWins) {
  TempToml env_file("port = 9300\n");
  TempToml flag_file("port = 9400\n");
  FakeEnv env{{{"HERALD_CONFIG", env_file.path()}}};
  auto from_env = parse({}, env);
  ASSERT_TRUE(from_env) << from_env.error();
  EXPECT_EQ(from_env->settings.port, 9300);
  auto from_flag = parse({"--config", flag_file.path()}, env);
  ASSERT_TRUE(from_flag) << from_flag.error();
  EXPECT_EQ(from_flag->settings.port, 9400);
}

TEST(ConfigPrecedence, FlagsBeforeOrAfterTheSubcommand) {
  auto before = parse({"--port", "9500", "serve"});
  auto after = parse({"serve", "--port", "9500"});
  ASSERT_TRUE(before) << before.error();
  ASSERT_TRUE(after) << after.error();
  EXPECT_EQ(before->settings.port, 9500);
  EXPECT_EQ(after->settings.port, 9500);
  EXPECT_EQ(before->command, Command::serve);
}

TEST(ConfigPrecedence, ListFlagBeforeTheSubcommandLeavesItAlone) {
  auto parsed = parse({"--allowed-origins", "https://a.example", "serve"});
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->command, Command::serve);
  EXPECT_EQ(parsed->settings.allowed_origins, std::vector<std::string>{"https://a.example"});
}

TEST(ConfigPrecedence, RepeatedScalarFlagTakesTheLast) {
  auto parsed = parse({"--port", "9001", "--port", "9002"});
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->settings.port, 9002);
}

TEST(ConfigPrecedence, EveryFlagSetsItsSetting) {
  auto parsed = parse({"serve", "--host", "0.0.0.0", "--workers", "4", "--data-dir", "/var/lib/herald",
                       "--jwt-algorithm", "RS256", "--jwt-public-key", "pub.pem", "--jwt-private-key", "key.pem",
                       "--access-token-ttl", "60", "--refresh-token-ttl", "600", "--api-key", "k",
                       "--max-message-bytes", "1024", "--max-http-body-bytes", "2048", "--rate-burst", "80",
                       "--rate-limit-abuse-drops", "3", "--max-connections-per-user", "2",
                       "--max-subscriptions", "5", "--max-queue-bytes", "4096", "--max-queue-messages", "50",
                       "--heartbeat-interval", "10", "--heartbeat-timeout", "25", "--presence-audience",
                       "followers", "--log-level", "warn", "--login-max-failures", "9", "--login-window", "60",
                       "--redis-url", "redis://localhost:6379", "--database-url", "postgres://db/herald",
                       "--retention-days", "7", "--retention-events", "500", "--register-max-attempts", "3",
                       "--register-window", "30", "--hash-queue-max", "8", "--throttle-max-keys", "1000",
                       "--throttle-max-bytes", "65536"});
  ASSERT_TRUE(parsed) << parsed.error();
  const Settings& s = parsed->settings;
  EXPECT_EQ(s.host, "0.0.0.0");
  EXPECT_EQ(s.workers, 4u);
  EXPECT_EQ(s.data_dir, "/var/lib/herald");
  EXPECT_EQ(s.jwt_algorithm, "RS256");
  EXPECT_EQ(s.jwt_public_key_file, "pub.pem");
  EXPECT_EQ(s.jwt_private_key_file, "key.pem");
  EXPECT_EQ(s.access_token_ttl_s, 60);
  EXPECT_EQ(s.refresh_token_ttl_s, 600);
  EXPECT_EQ(s.api_key, "k");
  EXPECT_EQ(s.max_message_bytes, 1024u);
  EXPECT_EQ(s.max_http_body_bytes, 2048u);
  EXPECT_DOUBLE_EQ(s.rate_limit_burst, 80);
  EXPECT_EQ(s.rate_limit_abuse_drops, 3);
  EXPECT_EQ(s.max_connections_per_user, 2);
  EXPECT_EQ(s.max_subscriptions, 5);
  EXPECT_EQ(s.max_queue_bytes, 4096u);
  EXPECT_EQ(s.max_queue_messages, 50u);
  EXPECT_EQ(s.heartbeat_interval_s, 10);
  EXPECT_EQ(s.heartbeat_timeout_s, 25);
  EXPECT_EQ(s.presence_audience, "followers");
  EXPECT_EQ(s.log_level, "warn");
  EXPECT_EQ(s.login_max_failures, 9);
  EXPECT_EQ(s.login_window_s, 60);
  EXPECT_EQ(s.redis_url, "redis://localhost:6379");
  EXPECT_EQ(s.database_url, "postgres://db/herald");
  EXPECT_EQ(s.retention_days, 7);
  EXPECT_EQ(s.retention_events, 500);
  EXPECT_EQ(s.register_max_attempts, 3);
  EXPECT_EQ(s.register_window_s, 30);
  EXPECT_EQ(s.hash_queue_max, 8u);
  EXPECT_EQ(s.throttle_max_keys, 1000u);
  EXPECT_EQ(s.throttle_max_bytes, 65536u);
}

// The abuse limits come from every layer like the others: env, a TOML
// table ([register] window_s), and their defaults.
TEST(ConfigPrecedence, AbuseLimitsFromEnvAndFile) {
  auto defaults = parse({});
  ASSERT_TRUE(defaults) << defaults.error();
  EXPECT_EQ(defaults->settings.register_max_attempts, 10);
  EXPECT_EQ(defaults->settings.register_window_s, 600);
  EXPECT_EQ(defaults->settings.hash_queue_max, 64u);
  TempToml file("[register]\nwindow_s = 120\n[throttle]\nmax_keys = 500\n");
  FakeEnv env{{{"HERALD_REGISTER_MAX_ATTEMPTS", "2"},
               {"HERALD_REGISTER_WINDOW_S", "999"},
               {"HERALD_HASH_QUEUE_MAX", "16"},
               {"HERALD_THROTTLE_MAX_BYTES", "100000"}}};
  auto parsed = parse({"--config", file.path()}, env);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->settings.register_max_attempts, 2);
  EXPECT_EQ(parsed->settings.register_window_s, 120);
  EXPECT_EQ(parsed->settings.hash_queue_max, 16u);
  EXPECT_EQ(parsed->settings.throttle_max_keys, 500u);
  EXPECT_EQ(parsed->settings.throttle_max_bytes, 100000u);
}

// A short HS256 secret stops the command line, whichever layer gave it.
TEST(ConfigPrecedence, ShortSecretIsRefusedFromEveryLayer) {
  const std::string expected = "--jwt-secret: must be at least 32 bytes for HS256";
  auto flag = parse({"--jwt-secret", "short"});
  ASSERT_FALSE(flag);
  EXPECT_EQ(flag.error().rfind(expected, 0), 0u) << flag.error();
  FakeEnv env{{{"HERALD_JWT_SECRET", std::string(31, 'x')}}};
  auto from_env = parse({"token", "--user-id", "1", "--username", "a"}, env);
  ASSERT_FALSE(from_env);
  EXPECT_EQ(from_env.error().rfind(expected, 0), 0u) << from_env.error();
  TempToml file("[jwt]\nsecret = \"change-me\"\n");
  auto from_file = parse({"--config", file.path()});
  ASSERT_FALSE(from_file);
  EXPECT_EQ(from_file.error().rfind(expected, 0), 0u) << from_file.error();
}

// The HTTP deadlines (docs/CONFIGURATION.md "Connections"), one layer each.
TEST(ConfigPrecedence, HttpDeadlinesFromEveryLayer) {
  auto defaults = parse({});
  ASSERT_TRUE(defaults) << defaults.error();
  EXPECT_EQ(defaults->settings.http_header_timeout_s, 10);
  EXPECT_EQ(defaults->settings.http_idle_timeout_s, 15);

  FakeEnv env{{{"HERALD_HTTP_HEADER_TIMEOUT_S", "3"}, {"HERALD_HTTP_IDLE_TIMEOUT_S", "4"}}};
  auto from_env = parse({}, env);
  ASSERT_TRUE(from_env) << from_env.error();
  EXPECT_EQ(from_env->settings.http_header_timeout_s, 3);
  EXPECT_EQ(from_env->settings.http_idle_timeout_s, 4);

  TempToml file(R"(
[http]
header_timeout_s = 7
idle_timeout_s = 8
)");
  auto from_file = parse({"--config", file.path()}, env);
  ASSERT_TRUE(from_file) << from_file.error();
  EXPECT_EQ(from_file->settings.http_header_timeout_s, 7);
  EXPECT_EQ(from_file->settings.http_idle_timeout_s, 8);

  auto from_flags =
      parse({"--config", file.path(), "--http-header-timeout", "1", "--http-idle-timeout", "2"}, env);
  ASSERT_TRUE(from_flags) << from_flags.error();
  EXPECT_EQ(from_flags->settings.http_header_timeout_s, 1);
  EXPECT_EQ(from_flags->settings.http_idle_timeout_s, 2);
}

// The connection caps (docs/CONFIGURATION.md "Connections"), one layer each.
TEST(ConfigPrecedence, ConnectionCapsFromEveryLayer) {
  auto defaults = parse({});
  ASSERT_TRUE(defaults) << defaults.error();
  EXPECT_EQ(defaults->settings.max_connections, 0u);  // derived from RLIMIT_NOFILE by serve
  EXPECT_EQ(defaults->settings.max_connections_per_address, 256u);

  FakeEnv env{{{"HERALD_MAX_CONNECTIONS", "5000"}, {"HERALD_MAX_CONNECTIONS_PER_ADDRESS", "0"}}};
  auto from_env = parse({}, env);
  ASSERT_TRUE(from_env) << from_env.error();
  EXPECT_EQ(from_env->settings.max_connections, 5000u);
  EXPECT_EQ(from_env->settings.max_connections_per_address, 0u);

  TempToml file(R"(
[limits]
max_connections = 900
max_connections_per_address = 32
)");
  auto from_file = parse({"--config", file.path()}, env);
  ASSERT_TRUE(from_file) << from_file.error();
  EXPECT_EQ(from_file->settings.max_connections, 900u);
  EXPECT_EQ(from_file->settings.max_connections_per_address, 32u);

  auto from_flags = parse(
      {"--config", file.path(), "--max-connections", "64", "--max-connections-per-address", "4"}, env);
  ASSERT_TRUE(from_flags) << from_flags.error();
  EXPECT_EQ(from_flags->settings.max_connections, 64u);
  EXPECT_EQ(from_flags->settings.max_connections_per_address, 4u);

  auto negative = parse({"--max-connections-per-address", "-1"});
  ASSERT_FALSE(negative);
  EXPECT_NE(negative.error().find("--max-connections-per-address"), std::string::npos)
      << negative.error();
}

// TLS (docs/CONFIGURATION.md "TLS"): the two files, one layer each, and
// only as a pair.
TEST(ConfigPrecedence, TlsFilesFromEveryLayer) {
  auto defaults = parse({});
  ASSERT_TRUE(defaults) << defaults.error();
  EXPECT_EQ(defaults->settings.tls_cert, "");  // plain HTTP
  EXPECT_EQ(defaults->settings.tls_key, "");

  FakeEnv env{{{"HERALD_TLS_CERT", "/env/cert.pem"}, {"HERALD_TLS_KEY", "/env/key.pem"}}};
  auto from_env = parse({}, env);
  ASSERT_TRUE(from_env) << from_env.error();
  EXPECT_EQ(from_env->settings.tls_cert, "/env/cert.pem");
  EXPECT_EQ(from_env->settings.tls_key, "/env/key.pem");

  TempToml file(R"(
[tls]
cert = "/file/cert.pem"
key = "/file/key.pem"
)");
  auto from_file = parse({"--config", file.path()}, env);
  ASSERT_TRUE(from_file) << from_file.error();
  EXPECT_EQ(from_file->settings.tls_cert, "/file/cert.pem");
  EXPECT_EQ(from_file->settings.tls_key, "/file/key.pem");

  auto from_flags =
      parse({"--config", file.path(), "--tls-cert", "/flag/cert.pem", "--tls-key", "/flag/key.pem"}, env);
  ASSERT_TRUE(from_flags) << from_flags.error();
  EXPECT_EQ(from_flags->settings.tls_cert, "/flag/cert.pem");
  EXPECT_EQ(from_flags->settings.tls_key, "/flag/key.pem");

  auto cert_alone = parse({"--tls-cert", "/c.pem"});
  ASSERT_FALSE(cert_alone);
  EXPECT_EQ(cert_alone.error(), "--tls-key: required with --tls-cert");
  auto key_alone = parse({}, FakeEnv{{{"HERALD_TLS_KEY", "/k.pem"}}});
  ASSERT_FALSE(key_alone);
  EXPECT_EQ(key_alone.error(), "--tls-cert: required with --tls-key");
}

TEST(ConfigPrecedence, VersionShortCircuits) {
  FakeEnv env{{{"HERALD_PORT", "not a number"}}};  // not read for --version
  auto parsed = parse({"--version"}, env);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->command, Command::version);
}

}  // namespace
}  // namespace herald::app
