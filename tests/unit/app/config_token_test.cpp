// `herald token`: parsed into TokenCommand, with the server's key settings
// available and the TTL defaulting from the matching setting.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace herald::app {
namespace {

using ::testing::HasSubstr;
using testing::FakeEnv;
using testing::parse;

TEST(ConfigToken, AllOptions) {
  auto parsed = parse({"token", "--user-id", "5", "--username", "bob", "--ttl", "120", "--role", "service",
                       "--type", "access"});
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->command, Command::token);
  EXPECT_EQ(parsed->token.user_id, 5);
  EXPECT_EQ(parsed->token.username, "bob");
  EXPECT_EQ(parsed->token.ttl_s, 120);
  EXPECT_EQ(parsed->token.role, "service");
  EXPECT_EQ(parsed->token.type, "access");
}

TEST(ConfigToken, TtlDefaultsFromTheSettingOfItsType) {
  FakeEnv env{{{"HERALD_ACCESS_TOKEN_TTL_S", "900"}}};
  auto access = parse({"token", "--user-id", "5", "--username", "bob"}, env);
  ASSERT_TRUE(access) << access.error();
  EXPECT_EQ(access->token.ttl_s, 900);
  EXPECT_EQ(access->token.type, "access");
  EXPECT_EQ(access->token.role, "");

  auto refresh = parse({"token", "--user-id", "5", "--username", "bob", "--type", "refresh",
                        "--refresh-token-ttl", "86400"});
  ASSERT_TRUE(refresh) << refresh.error();
  EXPECT_EQ(refresh->token.ttl_s, 86400);
  EXPECT_EQ(refresh->token.type, "refresh");
}

TEST(ConfigToken, ServerKeySettingsApply) {
  FakeEnv env{{{"HERALD_DATA_DIR", "/tmp/herald-data"}}};
  auto parsed = parse({"token", "--user-id", "7", "--username", "svc", "--jwt-secret", "s3cret-s3cret-s3cret-s3cret-s3cret"}, env);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->settings.jwt_secret, "s3cret-s3cret-s3cret-s3cret-s3cret");
  EXPECT_EQ(parsed->settings.data_dir, "/tmp/herald-data");
}

TEST(ConfigToken, Errors) {
  EXPECT_THAT(parse({"token", "--username", "bob"}).error(), HasSubstr("--user-id"));
  EXPECT_THAT(parse({"token", "--user-id", "5"}).error(), HasSubstr("--username"));
  EXPECT_EQ(parse({"token", "--user-id", "0", "--username", "bob"}).error(),
            "--user-id: must be a positive integer");
  EXPECT_EQ(parse({"token", "--user-id", "-3", "--username", "bob"}).error(),
            "--user-id: must be a positive integer");
  EXPECT_THAT(parse({"token", "--user-id", "x", "--username", "bob"}).error(), HasSubstr("--user-id"));
  EXPECT_EQ(parse({"token", "--user-id", "5", "--username", ""}).error(), "--username: must not be empty");
  EXPECT_EQ(parse({"token", "--user-id", "5", "--username", "bob", "--ttl", "0"}).error(),
            "--ttl: must be a positive number of seconds");
  EXPECT_THAT(parse({"token", "--user-id", "5", "--username", "bob", "--type", "id"}).error(),
              HasSubstr("--type"));
}

TEST(ConfigToken, TokenFlagsBelongToTheSubcommand) {
  // --user-id means nothing to `serve`.
  EXPECT_THAT(parse({"serve", "--user-id", "5"}).error(), HasSubstr("--user-id"));
}

}  // namespace
}  // namespace herald::app
