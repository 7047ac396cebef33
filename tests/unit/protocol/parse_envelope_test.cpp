// The envelope rules of parse_client_message: what is INVALID_JSON, what is
// UNKNOWN_MESSAGE_TYPE, and that hostile input (deep nesting, huge numbers)
// is answered, not crashed on.
#include <gtest/gtest.h>

#include "parse_test_support.hpp"

namespace herald::protocol {
namespace {

using test::parse_as;
using test::parse_error;

void expect_invalid_json(std::string_view text) {
  ProtocolError e = parse_error(text);
  EXPECT_EQ(e.code, ErrorCode::invalid_json) << text;
  EXPECT_FALSE(e.ref.has_value());
  EXPECT_FALSE(e.message.empty());
}

TEST(ParseEnvelope, GarbageIsInvalidJson) { expect_invalid_json("hello there"); }
TEST(ParseEnvelope, EmptyStringIsInvalidJson) { expect_invalid_json(""); }
TEST(ParseEnvelope, WhitespaceOnlyIsInvalidJson) { expect_invalid_json("  \n "); }
TEST(ParseEnvelope, TruncatedObjectIsInvalidJson) { expect_invalid_json(R"({"type":"pi)"); }
TEST(ParseEnvelope, TruncatedAfterCommaIsInvalidJson) { expect_invalid_json(R"({"type":"ping",)"); }
TEST(ParseEnvelope, NaNIsInvalidJson) { expect_invalid_json("NaN"); }
TEST(ParseEnvelope, NaNAsFieldValueIsInvalidJson) {
  expect_invalid_json(R"({"type":"message","to_user_id":NaN,"message":"x"})");
}
TEST(ParseEnvelope, InfinityIsInvalidJson) {
  expect_invalid_json(R"({"type":"message","to_user_id":Infinity,"message":"x"})");
}
TEST(ParseEnvelope, ArrayIsInvalidJson) { expect_invalid_json("[1]"); }
TEST(ParseEnvelope, StringIsInvalidJson) { expect_invalid_json(R"("x")"); }
TEST(ParseEnvelope, NumberIsInvalidJson) { expect_invalid_json("3"); }
TEST(ParseEnvelope, NullIsInvalidJson) { expect_invalid_json("null"); }
TEST(ParseEnvelope, TrailingGarbageIsInvalidJson) { expect_invalid_json(R"({"type":"ping"} x)"); }
TEST(ParseEnvelope, TwoObjectsAreInvalidJson) { expect_invalid_json(R"({"type":"ping"}{"type":"ping"})"); }
TEST(ParseEnvelope, TrailingCommaIsInvalidJson) { expect_invalid_json(R"({"type":"ping",})"); }
TEST(ParseEnvelope, CommentIsInvalidJson) { expect_invalid_json(R"({"type":"ping"} // hi)"); }
TEST(ParseEnvelope, SingleQuotesAreInvalidJson) { expect_invalid_json("{'type':'ping'}"); }
TEST(ParseEnvelope, LoneSurrogateEscapeIsInvalidJson) {
  expect_invalid_json(R"({"type":"message","to_user_id":1,"message":"\ud800"})");
}

TEST(ParseEnvelope, SurroundingWhitespaceIsAccepted) {
  parse_as<Ping>(" \t\r\n{\"type\":\"ping\"}\n ");
}

TEST(ParseEnvelope, DeepNestingOfArraysIsInvalidJsonNotACrash) {
  std::string deep(10'000, '[');
  expect_invalid_json(deep);
  EXPECT_EQ(parse_error(deep).message, "message is nested too deeply");
}

TEST(ParseEnvelope, DeepNestingInsideAnIgnoredFieldIsInvalidJson) {
  std::string text = R"({"type":"ping","x":)" + std::string(10'000, '[') +
                     std::string(10'000, ']') + "}";
  expect_invalid_json(text);
}

TEST(ParseEnvelope, NestingWithinTheDepthLimitIsAccepted) {
  // depth 1 is the envelope; 30 more levels stays within 32
  std::string text = R"({"type":"ping","x":)" + std::string(30, '[') + std::string(30, ']') + "}";
  parse_as<Ping>(text);
}

TEST(ParseEnvelope, HugeNumbersInIgnoredFieldsDoNotCrash) {
  parse_as<Ping>(R"({"type":"ping","a":1e400,"b":-1e400,"c":123456789012345678901234567890})");
  std::string long_digits = R"({"type":"ping","n":)" + std::string(5000, '9') + "}";
  parse_as<Ping>(long_digits);
}

TEST(ParseEnvelope, AbsurdExponentIsInvalidJsonNotACrash) {
  expect_invalid_json(R"({"type":"ping","n":1e99999999999})");
}

TEST(ParseEnvelope, MissingTypeIsUnknownMessageType) {
  ProtocolError e = parse_error(R"({"to_user_id":1,"message":"hi"})");
  EXPECT_EQ(e.code, ErrorCode::unknown_message_type);
  EXPECT_EQ(e.message, "type is missing");
}

TEST(ParseEnvelope, EmptyObjectIsUnknownMessageType) {
  EXPECT_EQ(parse_error("{}").code, ErrorCode::unknown_message_type);
}

TEST(ParseEnvelope, NumericTypeIsUnknownMessageType) {
  ProtocolError e = parse_error(R"({"type":1})");
  EXPECT_EQ(e.code, ErrorCode::unknown_message_type);
  EXPECT_EQ(e.message, "type must be a string");
}

TEST(ParseEnvelope, NullTypeIsUnknownMessageType) {
  EXPECT_EQ(parse_error(R"({"type":null})").code, ErrorCode::unknown_message_type);
}

TEST(ParseEnvelope, UnknownTypeNameIsUnknownMessageType) {
  ProtocolError e = parse_error(R"({"type":"teleport"})");
  EXPECT_EQ(e.code, ErrorCode::unknown_message_type);
  EXPECT_NE(e.message.find("ping, typing, subscribe"), std::string::npos) << e.message;
}

TEST(ParseEnvelope, TypeIsCaseSensitive) {
  EXPECT_EQ(parse_error(R"({"type":"PING"})").code, ErrorCode::unknown_message_type);
}

TEST(ParseEnvelope, ServerTypesAreNotClientTypes) {
  EXPECT_EQ(parse_error(R"({"type":"pong"})").code, ErrorCode::unknown_message_type);
  EXPECT_EQ(parse_error(R"({"type":"chat"})").code, ErrorCode::unknown_message_type);
}

TEST(ParseEnvelope, UnknownTypeEchoesClientMsgId) {
  EXPECT_EQ(parse_error(R"({"type":"zzz","client_msg_id":"m1"})").ref, "m1");
}

TEST(ParseEnvelope, UnknownFieldsAreIgnored) {
  parse_as<Ping>(R"({"type":"ping","timestamp":"2025-01-01T00:00:00Z","extra":{"a":[1,2]}})");
}

TEST(ParseEnvelope, DuplicateKeysLastOneWins) {
  auto chat = parse_as<ChatSend>(
      R"({"type":"ping","type":"message","to_user_id":1,"to_user_id":2,"message":"a","message":"b"})");
  EXPECT_EQ(chat.to_user_id, UserId{2});
  EXPECT_EQ(chat.message, "b");
  EXPECT_EQ(parse_error(R"({"type":"message","type":"nope"})").code,
            ErrorCode::unknown_message_type);
}

TEST(ParseEnvelope, MessageTypeNamesMatchTheWireTypes) {
  EXPECT_EQ(message_type_name(ClientMessage{Ping{}}), "ping");
  EXPECT_EQ(message_type_name(ClientMessage{Typing{}}), "typing");
  EXPECT_EQ(message_type_name(ClientMessage{Subscribe{}}), "subscribe");
  EXPECT_EQ(message_type_name(ClientMessage{Unsubscribe{}}), "unsubscribe");
  EXPECT_EQ(message_type_name(ClientMessage{PresenceSet{}}), "presence");
  EXPECT_EQ(message_type_name(ClientMessage{ChatSend{}}), "message");
  EXPECT_EQ(message_type_name(ClientMessage{AuthRefresh{}}), "auth");
}

TEST(ParseEnvelope, ErrorCodeWireNames) {
  EXPECT_EQ(to_string(ErrorCode::invalid_json), "INVALID_JSON");
  EXPECT_EQ(to_string(ErrorCode::unknown_message_type), "UNKNOWN_MESSAGE_TYPE");
  EXPECT_EQ(to_string(ErrorCode::message_processing_error), "MESSAGE_PROCESSING_ERROR");
  EXPECT_EQ(to_string(ErrorCode::invalid_message), "INVALID_MESSAGE");
  EXPECT_EQ(to_string(ErrorCode::user_not_found), "USER_NOT_FOUND");
  EXPECT_EQ(to_string(ErrorCode::rate_limited), "RATE_LIMITED");
  EXPECT_EQ(to_string(ErrorCode::invalid_token), "INVALID_TOKEN");
}

}  // namespace
}  // namespace herald::protocol
