// Incremental UTF-8 validation (Autobahn section 6 cases, byte-split).
#include "net/utf8.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald::net {
namespace {

// Feeds `s` one byte at a time: every split point at once.
bool valid_bytewise(const std::string& s) {
  Utf8Validator v;
  for (char c : s) {
    if (!v.feed(std::string_view(&c, 1))) return false;
  }
  return v.complete();
}

TEST(Utf8, AcceptsWellFormedText) {
  const std::vector<std::string> good = {
      "",
      "plain ascii that is longer than eight bytes",
      "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5",  // κόσμε
      "\xc2\x80",                                      // U+0080
      "\xdf\xbf",                                      // U+07FF
      "\xe0\xa0\x80",                                  // U+0800
      "\xed\x9f\xbf",                                  // U+D7FF, last before surrogates
      "\xee\x80\x80",                                  // U+E000
      "\xef\xbf\xbf",                                  // U+FFFF
      "\xf0\x90\x80\x80",                              // U+10000
      "\xf4\x8f\xbf\xbf",                              // U+10FFFF, the last code point
      std::string("nul\0inside", 10),
  };
  for (const auto& s : good) {
    EXPECT_TRUE(is_valid_utf8(s)) << s;
    EXPECT_TRUE(valid_bytewise(s)) << s;
  }
}

TEST(Utf8, RejectsMalformedText) {
  const std::vector<std::string> bad = {
      "\x80",              "\xbf",             "\xc0\x80",          "\xc1\xbf",
      "\xe0\x80\x80",      "\xe0\x9f\xbf",     "\xed\xa0\x80",      "\xed\xbf\xbf",
      "\xf0\x80\x80\x80",  "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80",  "\xf5\x80\x80\x80",
      "\xf8\x88\x80\x80\x80", "\xfe",          "\xff",              "\xc2\x41",
      "\xe2\x82\x41",      "abcdefgh\xc3",     "\xe2\x82",          "\xf0\x9f\x98",
  };
  for (const auto& s : bad) {
    EXPECT_FALSE(is_valid_utf8(s)) << testing::PrintToString(s);
    EXPECT_FALSE(valid_bytewise(s)) << testing::PrintToString(s);
  }
}

TEST(Utf8, TruncatedSequenceIsIncompleteNotFailed) {
  Utf8Validator v;
  EXPECT_TRUE(v.feed("ok \xf0\x9f"));
  EXPECT_FALSE(v.complete());  // a message ending here is invalid...
  EXPECT_FALSE(v.failed());    // ...but the next fragment may finish it
  EXPECT_TRUE(v.feed("\x98\x80"));
  EXPECT_TRUE(v.complete());
}

TEST(Utf8, FailureIsSticky) {
  Utf8Validator v;
  EXPECT_FALSE(v.feed("\xff"));
  EXPECT_FALSE(v.feed("abc"));
  EXPECT_FALSE(v.complete());
  v.reset();
  EXPECT_TRUE(v.feed("abc"));
  EXPECT_TRUE(v.complete());
}

TEST(Utf8, FastPathBoundaryAroundMultibyte) {
  // A multibyte sequence right after/inside an 8-byte ASCII block.
  for (int pad = 0; pad < 17; ++pad) {
    const std::string ok = std::string(pad, 'a') + "\xe2\x82\xac" + std::string(pad, 'b');
    EXPECT_TRUE(is_valid_utf8(ok)) << pad;
    const std::string bad = std::string(pad, 'a') + "\xe2\x28\xac" + std::string(pad, 'b');
    EXPECT_FALSE(is_valid_utf8(bad)) << pad;
  }
}

}  // namespace
}  // namespace herald::net
