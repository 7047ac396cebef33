// `typing` validation (PROTOCOL.md section 4): fields under `data`,
// is_typing then context then the optional to_user_id.
#include <gtest/gtest.h>

#include "parse_test_support.hpp"

namespace herald::protocol {
namespace {

using test::parse_as;
using test::parse_error;
using test::repeat;

std::string typing_with_data(std::string_view data_json) {
  return R"({"type":"typing","client_msg_id":"t1","data":)" + std::string(data_json) + "}";
}

void expect_invalid(std::string_view data_json, std::string_view message) {
  ProtocolError e = parse_error(typing_with_data(data_json));
  EXPECT_EQ(e.code, ErrorCode::invalid_message) << data_json;
  EXPECT_EQ(e.message, message) << data_json;
  EXPECT_EQ(e.ref, "t1") << data_json;
}

TEST(ParseTyping, SeedExampleParses) {
  auto t = parse_as<Typing>(R"({"type":"typing","data":{"is_typing":true,"context":"post_123"}})");
  EXPECT_TRUE(t.is_typing);
  EXPECT_EQ(t.context, "post_123");
  EXPECT_FALSE(t.to_user_id.has_value());
}

TEST(ParseTyping, DirectChatTypingCarriesToUserId) {
  auto t = parse_as<Typing>(
      R"({"type":"typing","data":{"is_typing":false,"context":"dm","to_user_id":456}})");
  EXPECT_FALSE(t.is_typing);
  EXPECT_EQ(t.to_user_id, UserId{456});
}

TEST(ParseTyping, NullToUserIdMeansAbsent) {
  auto t = parse_as<Typing>(typing_with_data(R"({"is_typing":true,"context":"c","to_user_id":null})"));
  EXPECT_FALSE(t.to_user_id.has_value());
}

TEST(ParseTyping, MissingDataIsInvalid) {
  ProtocolError e = parse_error(R"({"type":"typing","is_typing":true,"context":"c"})");
  EXPECT_EQ(e.code, ErrorCode::invalid_message);
  EXPECT_EQ(e.message, "data must be an object");
}

TEST(ParseTyping, NonObjectDataIsInvalid) { expect_invalid("[true]", "data must be an object"); }

TEST(ParseTyping, MissingIsTypingIsInvalid) {
  expect_invalid(R"({"context":"c"})", "data.is_typing must be a boolean");
}

TEST(ParseTyping, NonBooleanIsTypingIsInvalid) {
  expect_invalid(R"({"is_typing":1,"context":"c"})", "data.is_typing must be a boolean");
  expect_invalid(R"({"is_typing":"true","context":"c"})", "data.is_typing must be a boolean");
}

TEST(ParseTyping, MissingContextIsInvalid) {
  expect_invalid(R"({"is_typing":true})", "data.context must be a string of 1..128 characters");
}

TEST(ParseTyping, EmptyContextIsInvalid) {
  expect_invalid(R"({"is_typing":true,"context":""})",
                 "data.context must be a string of 1..128 characters");
}

TEST(ParseTyping, NonStringContextIsInvalid) {
  expect_invalid(R"({"is_typing":true,"context":123})",
                 "data.context must be a string of 1..128 characters");
}

TEST(ParseTyping, ContextOf128CodePointsIsAcceptedAnd129IsNot) {
  std::string ok = repeat("é", 128);
  EXPECT_EQ(parse_as<Typing>(typing_with_data(R"({"is_typing":true,"context":")" + ok + "\"}")).context, ok);
  expect_invalid(R"({"is_typing":true,"context":")" + repeat("é", 129) + "\"}",
                 "data.context must be a string of 1..128 characters");
}

TEST(ParseTyping, BadToUserIdIsInvalid) {
  for (std::string_view to : {"0", "-1", "\"4\"", "4.5", "true"})
    expect_invalid(R"({"is_typing":true,"context":"c","to_user_id":)" + std::string(to) + "}",
                   "data.to_user_id must be a positive integer");
}

TEST(ParseTyping, TopLevelFieldsDoNotCountAsData) {
  // a client that puts the fields at the top level gets told where they go
  ProtocolError e = parse_error(R"({"type":"typing","is_typing":true,"context":"c","data":{}})");
  EXPECT_EQ(e.message, "data.is_typing must be a boolean");
}

}  // namespace
}  // namespace herald::protocol
