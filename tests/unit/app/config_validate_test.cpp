// validate(): each rule rejects its bad value with a message naming the
// setting, and the defaults pass. Also: describe_for_log hides secrets.
#include <functional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "app/config.hpp"

namespace herald::app {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string problem_with(const std::function<void(Settings&)>& change) {
  Settings s;
  change(s);
  return validate(s);
}

TEST(ConfigValidate, DefaultsAreValid) { EXPECT_EQ(validate(Settings{}), ""); }

TEST(ConfigValidate, EachRuleNamesItsSetting) {
  struct Case {
    std::function<void(Settings&)> change;
    std::string expected;
  };
  const std::vector<Case> cases{
      {[](Settings& s) { s.host = ""; }, "--host"},
      {[](Settings& s) { s.port = 0; }, "--port: 0 is not in 1..65535"},
      {[](Settings& s) { s.port = 65536; }, "--port: 65536 is not in 1..65535"},
      {[](Settings& s) { s.workers = 5000; }, "--workers"},
      {[](Settings& s) { s.data_dir = ""; }, "--data-dir"},
      {[](Settings& s) { s.jwt_algorithm = "none"; }, "--jwt-algorithm: 'none' is not one of HS256, RS256, ES256"},
      {[](Settings& s) { s.jwt_algorithm = "HS512"; }, "--jwt-algorithm"},
      {[](Settings& s) { s.jwt_algorithm = "RS256"; }, "--jwt-public-key: required with --jwt-algorithm RS256"},
      {[](Settings& s) { s.jwt_algorithm = "ES256"; }, "--jwt-public-key: required with --jwt-algorithm ES256"},
      {[](Settings& s) { s.access_token_ttl_s = 0; }, "--access-token-ttl"},
      {[](Settings& s) { s.refresh_token_ttl_s = -1; }, "--refresh-token-ttl"},
      {[](Settings& s) { s.max_message_bytes = 0; }, "--max-message-bytes"},
      {[](Settings& s) { s.max_http_body_bytes = 0; }, "--max-http-body-bytes"},
      {[](Settings& s) { s.http_header_timeout_s = 0; }, "--http-header-timeout"},
      {[](Settings& s) { s.http_idle_timeout_s = -1; }, "--http-idle-timeout"},
      {[](Settings& s) { s.rate_limit_per_s = 0; }, "--rate-limit"},
      {[](Settings& s) { s.rate_limit_burst = 0.5; }, "--rate-burst"},
      {[](Settings& s) { s.rate_limit_abuse_drops = 0; }, "--rate-limit-abuse-drops"},
      {[](Settings& s) { s.max_connections_per_user = 0; }, "--max-connections-per-user"},
      {[](Settings& s) { s.max_subscriptions = -1; }, "--max-subscriptions"},
      {[](Settings& s) { s.max_queue_bytes = 0; }, "--max-queue-bytes"},
      {[](Settings& s) { s.max_queue_messages = 0; }, "--max-queue-messages"},
      {[](Settings& s) { s.heartbeat_interval_s = 0; }, "--heartbeat-interval"},
      {[](Settings& s) { s.heartbeat_timeout_s = 30; },
       "--heartbeat-timeout: 30 must be greater than --heartbeat-interval 30"},
      {[](Settings& s) { s.allowed_origins = {"https://a", ""}; }, "--allowed-origins"},
      {[](Settings& s) { s.presence_audience = "everyone"; }, "--presence-audience"},
      {[](Settings& s) { s.broadcast_batch_ms = -1; }, "--broadcast-batch-ms: -1 is not within 0..1000"},
      {[](Settings& s) { s.broadcast_batch_ms = 1001; }, "--broadcast-batch-ms"},
      {[](Settings& s) { s.broadcast_batch_max_ms = -1; }, "--broadcast-batch-max-ms: -1 is not within 0..1000"},
      {[](Settings& s) { s.broadcast_batch_max_ms = 1001; }, "--broadcast-batch-max-ms"},
      {[](Settings& s) { s.log_level = "verbose"; }, "--log-level: 'verbose'"},
      {[](Settings& s) { s.login_max_failures = 0; }, "--login-max-failures"},
      {[](Settings& s) { s.login_window_s = 0; }, "--login-window"},
      {[](Settings& s) { s.jwt_secret = std::string(31, 'k'); },
       "--jwt-secret: must be at least 32 bytes for HS256, this one has 31"},
      {[](Settings& s) { s.register_max_attempts = 0; }, "--register-max-attempts"},
      {[](Settings& s) { s.register_window_s = 0; }, "--register-window"},
      {[](Settings& s) { s.hash_queue_max = 0; }, "--hash-queue-max"},
      {[](Settings& s) { s.throttle_max_keys = 0; }, "--throttle-max-keys"},
      {[](Settings& s) { s.throttle_max_bytes = 4095; }, "--throttle-max-bytes: 4095 is less than 4096"},
      {[](Settings& s) { s.redis_url = "localhost:6379"; }, "--redis-url"},
      {[](Settings& s) { s.redis_url = "rediss://h:6380"; }, "--redis-url"},  // no TLS to Redis yet
      {[](Settings& s) { s.redis_url = "redis://:pw@h:6379"; }, "--redis-url"},  // no AUTH yet
      {[](Settings& s) { s.database_url = "mysql://db"; }, "--database-url"},
      {[](Settings& s) { s.retention_days = 0; }, "--retention-days"},
      {[](Settings& s) { s.retention_events = 0; }, "--retention-events"},
  };
  for (const auto& c : cases) {
    EXPECT_THAT(problem_with(c.change), HasSubstr(c.expected));
  }
}

TEST(ConfigValidate, AcceptedAlternatives) {
  EXPECT_EQ(problem_with([](Settings& s) {
              s.jwt_algorithm = "RS256";
              s.jwt_public_key_file = "pub.pem";
            }),
            "");
  EXPECT_EQ(problem_with([](Settings& s) { s.presence_audience = "followers"; }), "");
  // 32 bytes is enough; no secret means one is generated (64 characters).
  EXPECT_EQ(problem_with([](Settings& s) { s.jwt_secret = std::string(32, 'k'); }), "");
  EXPECT_EQ(problem_with([](Settings& s) { s.jwt_secret = ""; }), "");
  // The secret only matters for HS256: a verifier of RS256 never reads it.
  EXPECT_EQ(problem_with([](Settings& s) {
              s.jwt_algorithm = "RS256";
              s.jwt_public_key_file = "pub.pem";
              s.jwt_secret = "short";
            }),
            "");
  EXPECT_EQ(problem_with([](Settings& s) { s.port = 65535; }), "");
  EXPECT_EQ(problem_with([](Settings& s) { s.heartbeat_timeout_s = 31; }), "");
  EXPECT_EQ(problem_with([](Settings& s) { s.redis_url = "redis://10.0.0.7:6380/2"; }), "");
  EXPECT_EQ(problem_with([](Settings& s) { s.database_url = "postgresql://u@h/db"; }), "");
  EXPECT_EQ(problem_with([](Settings& s) { s.log_level = "off"; }), "");
}

TEST(ConfigDescribe, SecretsAreRedacted) {
  Settings s;
  s.jwt_secret = "top-secret-value";
  s.api_key = "api-key-value";
  s.database_url = "postgres://herald:db-password@db:5432/herald";
  s.redis_url = "redis://:redis-password@cache:6379";
  s.allowed_origins = {"https://a.example", "https://b.example"};
  const std::string line = describe_for_log(s);
  EXPECT_THAT(line, Not(HasSubstr("top-secret-value")));
  EXPECT_THAT(line, Not(HasSubstr("api-key-value")));
  EXPECT_THAT(line, Not(HasSubstr("db-password")));
  EXPECT_THAT(line, Not(HasSubstr("redis-password")));
  EXPECT_THAT(line, HasSubstr("jwt_secret=***"));
  EXPECT_THAT(line, HasSubstr("database_url=postgres://herald:***@db:5432/herald"));
  EXPECT_THAT(line, HasSubstr("port=8000"));
  EXPECT_THAT(line, HasSubstr("allowed_origins=https://a.example,https://b.example"));
}

}  // namespace
}  // namespace herald::app
