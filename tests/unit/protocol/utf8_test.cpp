// Code-point counting, including the byte-length shortcuts of
// code_points_within (at most 1 byte per point below, 4 above).
#include <gtest/gtest.h>

#include "protocol/utf8.hpp"

namespace herald::protocol {
namespace {

TEST(Utf8, CountsCodePointsNotBytes) {
  EXPECT_EQ(code_point_count(""), 0u);
  EXPECT_EQ(code_point_count("abc"), 3u);
  EXPECT_EQ(code_point_count("é€😀"), 3u);  // 2 + 3 + 4 bytes
}

TEST(Utf8, WithinChecksBothEnds) {
  EXPECT_FALSE(code_points_within("", 1, 4));
  EXPECT_TRUE(code_points_within("a", 1, 4));
  EXPECT_TRUE(code_points_within("😀😀😀😀", 1, 4));   // 16 bytes, 4 points
  EXPECT_FALSE(code_points_within("😀😀😀😀a", 1, 4));  // 17 bytes, 5 points
  EXPECT_FALSE(code_points_within("aaaaa", 1, 4));      // byte shortcut not taken: counted
  EXPECT_FALSE(code_points_within(std::string(17, 'a'), 1, 4));  // decided by length alone
  EXPECT_TRUE(code_points_within("", 0, 4));
}

}  // namespace
}  // namespace herald::protocol
