// JSON string escaping: every output must parse back to the input, with the
// bytes that JSON requires escaped and UTF-8 left as is.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "protocol/json_writer.hpp"

namespace herald::protocol {
namespace {

std::string quoted(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

std::string round_trip(std::string_view s) {
  boost::json::value v = boost::json::parse(quoted(s));
  const boost::json::string& back = v.as_string();
  return std::string(back.data(), back.size());
}

TEST(JsonWriter, PlainTextIsCopied) { EXPECT_EQ(quoted("hello"), "\"hello\""); }
TEST(JsonWriter, EmptyString) { EXPECT_EQ(quoted(""), "\"\""); }
TEST(JsonWriter, QuotesAndBackslashesAreEscaped) { EXPECT_EQ(quoted(R"(a"b\c)"), R"("a\"b\\c")"); }

TEST(JsonWriter, ShortControlEscapes) { EXPECT_EQ(quoted("\b\f\n\r\t"), R"("\b\f\n\r\t")"); }

TEST(JsonWriter, OtherControlCharsUseUnicodeEscapes) {
  EXPECT_EQ(quoted(std::string_view("\0\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
}

TEST(JsonWriter, DelAndSlashAreNotEscaped) { EXPECT_EQ(quoted("\x7f/"), "\"\x7f/\""); }

TEST(JsonWriter, Utf8IsKeptAsIs) {
  EXPECT_EQ(quoted("héllo 😀 字"), "\"héllo 😀 字\"");
  EXPECT_EQ(quoted("\u2028"), "\"\u2028\"");
}

TEST(JsonWriter, EveryByteBelow0x80RoundTrips) {
  std::string all;
  for (int c = 0; c < 0x80; ++c) all.push_back(static_cast<char>(c));
  EXPECT_EQ(round_trip(all), all);
}

TEST(JsonWriter, MixedTextRoundTrips) {
  std::string s = "line1\nline2 \"quoted\" back\\slash tab\t nul";
  s.push_back('\0');
  s += " é😀";
  EXPECT_EQ(round_trip(s), s);
}

TEST(JsonWriter, AppendsToExistingContent) {
  std::string out = "x=";
  append_json_string(out, "a\"");
  EXPECT_EQ(out, R"(x="a\"")");
}

TEST(JsonWriter, Integers) {
  std::string out;
  append_int(out, 0);
  out += ',';
  append_int(out, -42);
  out += ',';
  append_int(out, INT64_MAX);
  out += ',';
  append_int(out, INT64_MIN);
  EXPECT_EQ(out, "0,-42,9223372036854775807,-9223372036854775808");
}

TEST(JsonWriter, Booleans) {
  std::string out;
  append_bool(out, true);
  append_bool(out, false);
  EXPECT_EQ(out, "truefalse");
}

}  // namespace
}  // namespace herald::protocol
