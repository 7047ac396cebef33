// `herald --help` documents every setting's flag and environment variable;
// `herald token --help` documents the token options.
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "app/config_table.hpp"
#include "config_test_support.hpp"

namespace herald::app {
namespace {

using ::testing::HasSubstr;
using testing::parse;

TEST(ConfigHelp, MentionsEveryFlagAndEnvVar) {
  auto parsed = parse({"--help"});
  ASSERT_TRUE(parsed) << parsed.error();
  ASSERT_EQ(parsed->command, Command::help);
  const std::string& help = parsed->help_text;
  std::vector<std::string> flags{"--config", "--version", "--help", "serve", "token", "HERALD_CONFIG"};
  const std::vector<std::string> expected_flags{
      "--host", "--port", "--workers", "--data-dir", "--jwt-secret", "--jwt-algorithm", "--jwt-public-key",
      "--jwt-private-key", "--access-token-ttl", "--refresh-token-ttl", "--api-key", "--max-message-bytes",
      "--max-http-body-bytes", "--rate-limit", "--rate-burst", "--max-connections-per-user",
      "--max-subscriptions", "--max-queue-bytes", "--max-queue-messages", "--heartbeat-interval",
      "--heartbeat-timeout", "--allowed-origins", "--presence-audience", "--log-level", "--redis-url",
      "--database-url"};
  flags.insert(flags.end(), expected_flags.begin(), expected_flags.end());
  for (const auto& field : setting_fields()) {
    flags.emplace_back(field.flag);
    flags.push_back(env_name(field));
  }
  for (const auto& flag : flags) EXPECT_THAT(help, HasSubstr(flag));
  EXPECT_THAT(help, HasSubstr("HERALD_JWT_SECRET"));
  EXPECT_THAT(help, HasSubstr("default 8000"));
}

TEST(ConfigHelp, EveryFieldHasAFlagOfTheBriefsNames) {
  // The table is the single source; its flags are unique and well-formed.
  std::set<std::string_view> seen;
  for (const auto& field : setting_fields()) {
    EXPECT_TRUE(field.flag.starts_with("--")) << field.flag;
    EXPECT_TRUE(seen.insert(field.flag).second) << "duplicate " << field.flag;
    EXPECT_FALSE(field.help.empty()) << field.key;
  }

  EXPECT_EQ(seen.size(), 53u);  // one per Settings field
}

TEST(ConfigHelp, DocsTableListsEverySetting) {
  // docs/CONFIGURATION.md is written by hand; this keeps it in step with the table.
  const auto docs = std::filesystem::path(HERALD_SOURCE_DIR) / "docs/CONFIGURATION.md";
  std::ifstream in(docs);
  ASSERT_TRUE(in) << "cannot open " << docs;
  std::stringstream text;
  text << in.rdbuf();
  for (const auto& field : setting_fields()) {
    const std::string row = fmt::format("| `{}` | `{}` | `{}` | ", field.flag, env_name(field), field.key);
    EXPECT_THAT(text.str(), HasSubstr(row)) << field.key;
  }
}

TEST(ConfigHelp, ServeHelpShowsTheServerFlags) {
  auto parsed = parse({"serve", "--help"});
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->command, Command::help);
  EXPECT_THAT(parsed->help_text, HasSubstr("--heartbeat-timeout"));
}

TEST(ConfigHelp, TokenHelpShowsTokenOptions) {
  auto parsed = parse({"token", "--help"});
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->command, Command::help);
  for (const char* option : {"--user-id", "--username", "--ttl", "--role", "--type", "--jwt-secret"}) {
    EXPECT_THAT(parsed->help_text, HasSubstr(option));
  }
}

}  // namespace
}  // namespace herald::app
