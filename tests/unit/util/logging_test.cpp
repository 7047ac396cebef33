// init_logging: the line format (UTC ISO-8601 with Z, level, message), the
// level filter, and rejection of unknown levels.
#include <regex>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "util/logging.hpp"

namespace herald::util {
namespace {

TEST(Logging, LineFormatIsUtcIsoLevelMessage) {
  std::ostringstream out;
  ASSERT_TRUE(init_logging("info", &out));
  spdlog::info("event=started port={}", 8000);
  const std::regex line(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z info event=started port=8000\n)");
  EXPECT_TRUE(std::regex_match(out.str(), line)) << out.str();
}

TEST(Logging, LevelFilters) {
  std::ostringstream out;
  ASSERT_TRUE(init_logging("warn", &out));
  spdlog::info("hidden");
  spdlog::warn("shown");
  spdlog::error("also shown");
  EXPECT_THAT(out.str(), ::testing::Not(::testing::HasSubstr("hidden")));
  EXPECT_THAT(out.str(), ::testing::HasSubstr(" warning shown"));
  EXPECT_THAT(out.str(), ::testing::HasSubstr(" error also shown"));
}

TEST(Logging, UnknownLevelIsAnErrorAndChangesNothing) {
  std::ostringstream out;
  ASSERT_TRUE(init_logging("debug", &out));
  std::ostringstream other;
  auto result = init_logging("verbose", &other);
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error(), ::testing::HasSubstr("verbose"));
  spdlog::debug("still here");
  EXPECT_THAT(out.str(), ::testing::HasSubstr("still here"));
  EXPECT_TRUE(other.str().empty());
}

TEST(Logging, KnownLevels) {
  for (const char* level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    EXPECT_TRUE(is_log_level(level)) << level;
  }
  EXPECT_FALSE(is_log_level("INFO"));
  EXPECT_FALSE(is_log_level(""));
  EXPECT_FALSE(is_log_level("warning"));
}

}  // namespace
}  // namespace herald::util
