// `message` (chat) validation, PROTOCOL.md section 4: to_user_id, then
// message, then client_msg_id; the first broken rule wins and the error
// echoes the frame's client_msg_id as `ref`.
#include <gtest/gtest.h>

#include "parse_test_support.hpp"

namespace herald::protocol {
namespace {

using test::parse_as;
using test::parse_error;
using test::repeat;

std::string chat_with_to(std::string_view to_json) {
  return R"({"type":"message","to_user_id":)" + std::string(to_json) +
         R"(,"message":"hi","client_msg_id":"abc"})";
}

std::string chat_with_text(std::string_view text) {
  return R"({"type":"message","to_user_id":7,"message":")" + std::string(text) +
         R"(","client_msg_id":"abc"})";
}

void expect_bad_to_user_id(std::string_view to_json) {
  ProtocolError e = parse_error(chat_with_to(to_json));
  EXPECT_EQ(e.code, ErrorCode::invalid_message) << to_json;
  EXPECT_EQ(e.message, "to_user_id must be a positive integer") << to_json;
  EXPECT_EQ(e.ref, "abc") << to_json;
}

TEST(ParseChat, SeedExampleParses) {
  auto c = parse_as<ChatSend>(
      R"({"type":"message","to_user_id":456,"message":"Hello!","timestamp":"2025-10-22T10:00:00Z","client_msg_id":"abc"})");
  EXPECT_EQ(c.to_user_id, UserId{456});
  EXPECT_EQ(c.message, "Hello!");
  EXPECT_EQ(c.client_msg_id, "abc");
}

TEST(ParseChat, ClientMsgIdIsOptional) {
  auto c = parse_as<ChatSend>(R"({"type":"message","to_user_id":1,"message":"x"})");
  EXPECT_FALSE(c.client_msg_id.has_value());
}

TEST(ParseChat, NullClientMsgIdMeansAbsent) {
  auto c = parse_as<ChatSend>(R"({"type":"message","to_user_id":1,"message":"x","client_msg_id":null})");
  EXPECT_FALSE(c.client_msg_id.has_value());
}

TEST(ParseChat, TimestampOfAnyTypeIsIgnored) {
  parse_as<ChatSend>(R"({"type":"message","to_user_id":1,"message":"x","timestamp":12})");
}

TEST(ParseChat, LargestInt64UserIdIsAccepted) {
  EXPECT_EQ(parse_as<ChatSend>(chat_with_to("9223372036854775807")).to_user_id,
            UserId{9223372036854775807});
}

TEST(ParseChat, MissingToUserIdIsInvalid) {
  ProtocolError e = parse_error(R"({"type":"message","message":"hi","client_msg_id":"abc"})");
  EXPECT_EQ(e.code, ErrorCode::invalid_message);
  EXPECT_EQ(e.message, "to_user_id must be a positive integer");
  EXPECT_EQ(e.ref, "abc");
}

TEST(ParseChat, NullToUserIdIsInvalid) { expect_bad_to_user_id("null"); }
TEST(ParseChat, ZeroToUserIdIsInvalid) { expect_bad_to_user_id("0"); }
TEST(ParseChat, NegativeToUserIdIsInvalid) { expect_bad_to_user_id("-5"); }
TEST(ParseChat, StringToUserIdIsInvalid) { expect_bad_to_user_id(R"("5")"); }
TEST(ParseChat, DoubleToUserIdIsInvalid) { expect_bad_to_user_id("5.0"); }
TEST(ParseChat, ExponentToUserIdIsInvalid) { expect_bad_to_user_id("5e0"); }
TEST(ParseChat, HugeDoubleToUserIdIsInvalid) { expect_bad_to_user_id("1e400"); }
TEST(ParseChat, BoolToUserIdIsInvalid) { expect_bad_to_user_id("true"); }
TEST(ParseChat, ObjectToUserIdIsInvalid) { expect_bad_to_user_id(R"({"id":5})"); }
TEST(ParseChat, UserIdAboveInt64IsInvalid) { expect_bad_to_user_id("9223372036854775808"); }
TEST(ParseChat, UserIdAboveUint64IsInvalid) { expect_bad_to_user_id("18446744073709551616"); }
TEST(ParseChat, UserIdWithHundredsOfDigitsIsInvalid) { expect_bad_to_user_id(std::string(400, '9')); }

TEST(ParseChat, MissingMessageIsInvalid) {
  ProtocolError e = parse_error(R"({"type":"message","to_user_id":1,"client_msg_id":"abc"})");
  EXPECT_EQ(e.code, ErrorCode::invalid_message);
  EXPECT_EQ(e.message, "message must be a non-empty string of at most 4096 characters");
  EXPECT_EQ(e.ref, "abc");
}

TEST(ParseChat, EmptyMessageIsInvalid) {
  ProtocolError e = parse_error(chat_with_text(""));
  EXPECT_EQ(e.code, ErrorCode::invalid_message);
  EXPECT_EQ(e.message, "message must be a non-empty string of at most 4096 characters");
}

TEST(ParseChat, NonStringMessageIsInvalid) {
  ProtocolError e = parse_error(R"({"type":"message","to_user_id":1,"message":42})");
  EXPECT_EQ(e.code, ErrorCode::invalid_message);
  EXPECT_EQ(e.message, "message must be a non-empty string of at most 4096 characters");
}

TEST(ParseChat, MessageOf4096MultiByteCodePointsIsAccepted) {
  // 4096 code points of 2, 3 and 4 bytes: 12 KiB+ of UTF-8, still 4096 chars
  for (std::string_view ch : {"é", "€", "😀"}) {
    std::string text = repeat(ch, 4096);
    auto c = parse_as<ChatSend>(chat_with_text(text));
    EXPECT_EQ(c.message, text) << ch;
  }
}

TEST(ParseChat, MessageOf4097MultiByteCodePointsIsInvalid) {
  for (std::string_view ch : {"é", "€", "😀", "a"}) {
    ProtocolError e = parse_error(chat_with_text(repeat(ch, 4097)));
    EXPECT_EQ(e.code, ErrorCode::invalid_message) << ch;
    EXPECT_EQ(e.ref, "abc");
  }
}

TEST(ParseChat, EscapedCharactersCountOnceEach) {
  // "\u00e9" is one character after decoding even though it is 6 bytes on the wire
  auto c = parse_as<ChatSend>(chat_with_text(repeat("\\u00e9", 4096)));
  EXPECT_EQ(c.message, repeat("é", 4096));
}

TEST(ParseChat, MessageLimitIsConfigurable) {
  Limits limits;
  limits.max_chat_chars = 3;
  parse_as<ChatSend>(chat_with_text("abc"), limits);
  ProtocolError e = parse_error(chat_with_text("abcd"), limits);
  EXPECT_EQ(e.message, "message must be a non-empty string of at most 3 characters");
}

TEST(ParseChat, EmptyClientMsgIdIsInvalid) {
  ProtocolError e = parse_error(R"({"type":"message","to_user_id":1,"message":"x","client_msg_id":""})");
  EXPECT_EQ(e.code, ErrorCode::invalid_message);
  EXPECT_EQ(e.message, "client_msg_id must be a string of 1..64 characters");
}

TEST(ParseChat, NumericClientMsgIdIsInvalidAndNotEchoed) {
  ProtocolError e = parse_error(R"({"type":"message","to_user_id":1,"message":"x","client_msg_id":5})");
  EXPECT_EQ(e.code, ErrorCode::invalid_message);
  EXPECT_EQ(e.message, "client_msg_id must be a string of 1..64 characters");
  EXPECT_FALSE(e.ref.has_value());
}

TEST(ParseChat, ClientMsgIdOf64CodePointsIsAcceptedAnd65IsNot) {
  std::string ok = repeat("ж", 64);
  auto c = parse_as<ChatSend>(R"({"type":"message","to_user_id":1,"message":"x","client_msg_id":")" + ok + "\"}");
  EXPECT_EQ(c.client_msg_id, ok);
  std::string long_id = repeat("ж", 65);
  ProtocolError e =
      parse_error(R"({"type":"message","to_user_id":1,"message":"x","client_msg_id":")" + long_id + "\"}");
  EXPECT_EQ(e.code, ErrorCode::invalid_message);
  EXPECT_EQ(e.ref, long_id);  // a string id is echoed even when it is the problem
}

TEST(ParseChat, FirstBrokenRuleWins) {
  // to_user_id and message both wrong: to_user_id is checked first
  ProtocolError e = parse_error(R"({"type":"message","to_user_id":-1,"message":""})");
  EXPECT_EQ(e.message, "to_user_id must be a positive integer");
  EXPECT_FALSE(e.ref.has_value());
}

}  // namespace
}  // namespace herald::protocol
