// Random hex tokens and constant-time comparison.
#include "auth/secrets.hpp"

#include <gtest/gtest.h>

#include <set>

namespace herald::auth {
namespace {

TEST(RandomHex, LengthAndAlphabet) {
  EXPECT_EQ(random_hex(0), "");
  const auto hex = random_hex(32);
  EXPECT_EQ(hex.size(), 64u);
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos) << hex;
}

TEST(RandomHex, ValuesDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(random_hex(16));
  EXPECT_EQ(seen.size(), 100u);
}

TEST(ConstantTimeEqual, Cases) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("api-key-123", "api-key-123"));
  EXPECT_FALSE(constant_time_equal("api-key-123", "api-key-124"));
  EXPECT_FALSE(constant_time_equal("Api-key-123", "api-key-123"));
  EXPECT_FALSE(constant_time_equal("api-key-123", "api-key-12"));
  EXPECT_FALSE(constant_time_equal("api-key-12", "api-key-123"));
  EXPECT_FALSE(constant_time_equal("", "x"));
  EXPECT_TRUE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  EXPECT_FALSE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

}  // namespace
}  // namespace herald::auth
