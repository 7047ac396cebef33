// Parse errors from each source: each is one message naming the flag, the
// environment variable or the TOML key at fault, and nothing is returned.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace herald::app {
namespace {

using ::testing::HasSubstr;
using testing::FakeEnv;
using testing::parse;
using testing::TempToml;

std::string error_of(const std::expected<ParsedCommandLine, std::string>& parsed) {
  EXPECT_FALSE(parsed) << "expected an error";
  return parsed ? std::string() : parsed.error();
}

TEST(ConfigErrors, UnknownFlag) {
  EXPECT_THAT(error_of(parse({"--no-such-flag", "1"})), HasSubstr("--no-such-flag"));
}

TEST(ConfigErrors, UnexpectedPositional) {
  EXPECT_THAT(error_of(parse({"serve", "extra"})), HasSubstr("extra"));
  EXPECT_THAT(error_of(parse({"frobnicate"})), HasSubstr("frobnicate"));
}

TEST(ConfigErrors, ListFlagTakesOneValuePerOccurrence) {
  EXPECT_THAT(error_of(parse({"--allowed-origins", "https://a", "https://b"})), HasSubstr("https://b"));
}

TEST(ConfigErrors, FlagWithoutValue) { EXPECT_THAT(error_of(parse({"--port"})), HasSubstr("--port")); }

TEST(ConfigErrors, FlagNotANumber) {
  EXPECT_EQ(error_of(parse({"--port", "80x"})), "--port: '80x' is not an integer");
  EXPECT_EQ(error_of(parse({"--rate-limit", "fast"})), "--rate-limit: 'fast' is not a number");
  EXPECT_EQ(error_of(parse({"--rate-limit", "inf"})), "--rate-limit: 'inf' is not finite");
  EXPECT_EQ(error_of(parse({"--workers", "-1"})), "--workers: '-1' is not a non-negative integer");
  EXPECT_EQ(error_of(parse({"--max-queue-bytes", "1MiB"})), "--max-queue-bytes: '1MiB' is not a non-negative integer");
  EXPECT_EQ(error_of(parse({"--port", "99999999999"})), "--port: '99999999999' is out of range");
}

TEST(ConfigErrors, EnvNotANumberNamesTheVariable) {
  FakeEnv env{{{"HERALD_HEARTBEAT_TIMEOUT_S", "soon"}}};
  EXPECT_EQ(error_of(parse({}, env)), "HERALD_HEARTBEAT_TIMEOUT_S: 'soon' is not an integer");
}

TEST(ConfigErrors, BadEnvIsAnErrorEvenWhenAFlagOverridesIt) {
  // A broken environment is reported rather than silently shadowed.
  FakeEnv env{{{"HERALD_PORT", "eighty"}}};
  EXPECT_THAT(error_of(parse({"--port", "8080"}, env)), HasSubstr("HERALD_PORT"));
}

TEST(ConfigErrors, MissingConfigFile) {
  EXPECT_EQ(error_of(parse({"--config", "/nonexistent/herald.toml"})),
            "config file /nonexistent/herald.toml: cannot be opened");
}

TEST(ConfigErrors, TomlSyntaxErrorHasLine) {
  TempToml file("port = 1\nhost = \n");
  EXPECT_THAT(error_of(parse({"--config", file.path()})), HasSubstr(file.path() + ":2:"));
}

TEST(ConfigErrors, TomlUnknownKeyIsNamed) {
  TempToml file("port = 9000\nprot = 9001\n");
  EXPECT_EQ(error_of(parse({"--config", file.path()})),
            "config file " + file.path() + ": unknown key 'prot'");
}

TEST(ConfigErrors, TomlUnknownKeyInTableIsNamedWithTable) {
  TempToml file("[limits]\nmax_message_bytes = 1024\nmax_mesage_bytes = 5\n");
  EXPECT_EQ(error_of(parse({"--config", file.path()})),
            "config file " + file.path() + ": unknown key 'limits.max_mesage_bytes'");
}

TEST(ConfigErrors, TomlWrongTypes) {
  TempToml port_as_text("port = \"9000\"\n");
  EXPECT_EQ(error_of(parse({"--config", port_as_text.path()})),
            "config file " + port_as_text.path() + ": key 'port': expected an integer");
  TempToml host_as_number("host = 1\n");
  EXPECT_THAT(error_of(parse({"--config", host_as_number.path()})), HasSubstr("key 'host': expected a string"));
  TempToml origins_mixed("allowed_origins = [\"https://a\", 3]\n");
  EXPECT_THAT(error_of(parse({"--config", origins_mixed.path()})), HasSubstr("expected an array of strings"));
  TempToml negative("max_queue_bytes = -1\n");
  EXPECT_THAT(error_of(parse({"--config", negative.path()})), HasSubstr("must not be negative"));
  TempToml too_big("port = 4294967296\n");
  EXPECT_THAT(error_of(parse({"--config", too_big.path()})), HasSubstr("out of range"));
}

TEST(ConfigErrors, TomlSettingGivenTwice) {
  TempToml file("presence_audience = \"all\"\n[presence]\naudience = \"followers\"\n");
  EXPECT_THAT(error_of(parse({"--config", file.path()})), HasSubstr("'presence_audience' is given twice"));
}

TEST(ConfigErrors, TomlDeepTablesAreRejected) {
  TempToml file("[limits.queue]\nmax_queue_bytes = 1\n");
  EXPECT_THAT(error_of(parse({"--config", file.path()})), HasSubstr("unknown key 'limits.queue'"));
}

TEST(ConfigErrors, InvalidSettingsAreReportedByParse) {
  EXPECT_EQ(error_of(parse({"--port", "0"})), "--port: 0 is not in 1..65535");
  FakeEnv env{{{"HERALD_PRESENCE_AUDIENCE", "friends"}}};
  EXPECT_EQ(error_of(parse({}, env)), "--presence-audience: 'friends' is not one of all, followers");
}

// The accepted forms of a TOML file, next to the rejected ones above.
TEST(ConfigFile, TablesGroupKeys) {
  TempToml file(R"(
host = "0.0.0.0"
[jwt]
secret = "s3cret-s3cret-s3cret-s3cret-s3cret"
algorithm = "HS256"
[presence]
audience = "followers"
[limits]
max_message_bytes = 1024
rate_limit_burst = 10.5
allowed_origins = "https://a.example,https://b.example"
)");
  auto parsed = parse({"--config", file.path()});
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->settings.host, "0.0.0.0");
  EXPECT_EQ(parsed->settings.jwt_secret, "s3cret-s3cret-s3cret-s3cret-s3cret");
  EXPECT_EQ(parsed->settings.presence_audience, "followers");
  EXPECT_EQ(parsed->settings.max_message_bytes, 1024u);
  EXPECT_DOUBLE_EQ(parsed->settings.rate_limit_burst, 10.5);
  EXPECT_EQ(parsed->settings.allowed_origins,
            (std::vector<std::string>{"https://a.example", "https://b.example"}));
}

}  // namespace
}  // namespace herald::app
