// pg_text.hpp: the escape PgDatabase applies to free text so that a NUL
// byte survives PostgreSQL's text. No server needed: the escape is a pure
// function. What PgDatabase relies on: every input comes back whole, the
// stored form never holds a NUL, distinct inputs stay distinct (equality
// lookups on the stored form), and text without the two bytes is stored
// as it is.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "store/pg/pg_text.hpp"

namespace herald::store::pg {
namespace {

using namespace std::string_literals;

void expect_round_trip(const std::string& text) {
  const std::string stored = to_pg_text(text);
  EXPECT_EQ(stored.find('\0'), std::string::npos) << ::testing::PrintToString(text);
  EXPECT_EQ(from_pg_text(stored), text) << ::testing::PrintToString(text);
}

TEST(PgText, TheTwoBytesAreEscapedAsDocumented) {
  EXPECT_EQ(to_pg_text("\0"s), "\x01" "0"s);
  EXPECT_EQ(to_pg_text("\x01"s), "\x01\x01"s);
  EXPECT_EQ(to_pg_text("a\0b\x01" "c"s), "a\x01" "0b\x01\x01" "c"s);
  EXPECT_EQ(to_pg_text("\0\0"s), "\x01" "0\x01" "0"s);
  EXPECT_EQ(to_pg_text("\x01" "0"s), "\x01\x01" "0"s);  // not read back as a NUL
  EXPECT_EQ(from_pg_text("\x01" "0"s), "\0"s);
  EXPECT_EQ(from_pg_text("\x01\x01"s), "\x01"s);
  EXPECT_EQ(from_pg_text("\x01\x01" "0"s), "\x01" "0"s);
  EXPECT_EQ(from_pg_text("x\x01\x01\x01" "0y"s), "x\x01\0y"s);
}

TEST(PgText, TextWithoutTheTwoBytesIsUnchanged) {
  for (const std::string& text :
       {""s, "hello"s, "0"s, "00"s, "\x02\x7f\xff"s, "caf\xC3\xA9 \xF0\x9F\x98\x80"s, "\\0 \\x01"s}) {
    EXPECT_EQ(to_pg_text(text), text);
    EXPECT_EQ(from_pg_text(text), text);
  }
  // Valid UTF-8 stays valid UTF-8: only ASCII bytes are added.
  EXPECT_EQ(to_pg_text("\xC3\xA9\0\xC3\xA9"s), "\xC3\xA9\x01" "0\xC3\xA9"s);
}

TEST(PgText, EveryByteAloneAndInEveryPairRoundTrips) {
  for (int a = 0; a < 256; ++a) {
    const std::string one(1, static_cast<char>(a));
    expect_round_trip(one);
    const std::string stored = to_pg_text(one);
    if (a == 0 || a == 1) {
      EXPECT_EQ(stored.size(), 2u) << a;
    } else {
      EXPECT_EQ(stored, one) << a;
    }
    for (int b = 0; b < 256; ++b) expect_round_trip(one + static_cast<char>(b));
  }
}

TEST(PgText, EscapeLikeSequencesInTheInputRoundTrip) {
  for (const std::string& text :
       {"\x01" "0"s, "\x01\x01"s, "\x01\x01" "0"s, "\x01" "0\0"s, "\0\x01" "0"s, "\x01\0"s, "\0\x01"s,
        "0\x01"s, "\x01\x01\x01"s, "\x01" "0\x01" "0"s, "\0\0\0"s, "end\x01"s, "end\0"s, "\x01start"s,
        "\0start"s, "\x01" "00\x01\x01" "0\0\x01"s}) {
    expect_round_trip(text);
  }
}

// Distinct inputs are stored distinctly (so a unique index and an equality
// lookup on the stored form see the inputs' equality), over every string
// of up to five bytes from the bytes that matter.
TEST(PgText, DistinctInputsStayDistinct) {
  const std::string alphabet("\0\x01" "0a", 4);
  std::vector<std::string> inputs{""};
  for (std::size_t begin = 0, length = 1; length <= 5; ++length) {
    const std::size_t end = inputs.size();
    for (std::size_t i = begin; i < end; ++i) {
      for (char c : alphabet) inputs.push_back(inputs[i] + c);
    }
    begin = end;
  }
  std::set<std::string> stored;
  for (const std::string& text : inputs) {
    expect_round_trip(text);
    EXPECT_TRUE(stored.insert(to_pg_text(text)).second) << ::testing::PrintToString(text);
  }
  EXPECT_EQ(stored.size(), inputs.size());
}

TEST(PgText, RandomTextRoundTrips) {
  std::mt19937 rng(20240607);
  std::uniform_int_distribution<int> byte(0, 255), special(0, 3), length(0, 64);
  for (int n = 0; n < 5000; ++n) {
    std::string text;
    const int size = length(rng);
    for (int i = 0; i < size; ++i) {
      // Half the bytes drawn from the ones that matter, so runs of them occur.
      const int s = special(rng);
      text += s < 2 ? static_cast<char>(byte(rng)) : (s == 2 ? '\0' : '\x01');
      if (s == 3 && i % 2 == 0) text += '0';
    }
    expect_round_trip(text);
  }
}

// A row stored before the escape may hold a bare 0x01 (only NUL was
// refused then): one that starts no pair reads back as stored.
TEST(PgText, ABare01ThatStartsNoPairIsKept) {
  EXPECT_EQ(from_pg_text("\x01"s), "\x01"s);
  EXPECT_EQ(from_pg_text("a\x01" "b"s), "a\x01" "b"s);
  EXPECT_EQ(from_pg_text("\x01\x02\x01"s), "\x01\x02\x01"s);
}

}  // namespace
}  // namespace herald::store::pg
