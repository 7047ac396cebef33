// ping, subscribe/unsubscribe, presence and auth validation (PROTOCOL.md
// sections 2 and 4).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "parse_test_support.hpp"

namespace herald::protocol {
namespace {

using test::parse_as;
using test::parse_error;
using test::repeat;

void expect_invalid(std::string_view text, std::string_view message) {
  ProtocolError e = parse_error(text);
  EXPECT_EQ(e.code, ErrorCode::invalid_message) << text;
  EXPECT_EQ(e.message, message) << text;
}

TEST(ParsePing, SeedPingParses) { parse_as<Ping>(R"({"type":"ping","timestamp":"2025-10-22T10:00:00Z"})"); }
TEST(ParsePing, BarePingParses) { parse_as<Ping>(R"({"type":"ping"})"); }

TEST(ParseSubscribe, SubscribeAndUnsubscribeParse) {
  EXPECT_EQ(parse_as<Subscribe>(R"({"type":"subscribe","context":"post_123"})").context, "post_123");
  EXPECT_EQ(parse_as<Unsubscribe>(R"({"type":"unsubscribe","context":"post_123"})").context, "post_123");
}

TEST(ParseSubscribe, MissingContextIsInvalid) {
  expect_invalid(R"({"type":"subscribe"})", "context must be a string of 1..128 characters");
  expect_invalid(R"({"type":"unsubscribe"})", "context must be a string of 1..128 characters");
}

TEST(ParseSubscribe, EmptyOrNonStringContextIsInvalid) {
  expect_invalid(R"({"type":"subscribe","context":""})", "context must be a string of 1..128 characters");
  expect_invalid(R"({"type":"subscribe","context":["a"]})", "context must be a string of 1..128 characters");
}

TEST(ParseSubscribe, ContextOf128CodePointsIsAcceptedAnd129IsNot) {
  std::string ok = repeat("字", 128);
  EXPECT_EQ(parse_as<Subscribe>(R"({"type":"subscribe","context":")" + ok + "\"}").context, ok);
  expect_invalid(R"({"type":"subscribe","context":")" + repeat("字", 129) + "\"}",
                 "context must be a string of 1..128 characters");
  expect_invalid(R"({"type":"unsubscribe","context":")" + repeat("a", 129) + "\"}",
                 "context must be a string of 1..128 characters");
}

TEST(ParseSubscribe, ErrorEchoesClientMsgId) {
  EXPECT_EQ(parse_error(R"({"type":"subscribe","client_msg_id":"s9"})").ref, "s9");
}

TEST(ParsePresence, SeedExampleParsesWithCompactData) {
  auto p = parse_as<PresenceSet>(R"({"type":"presence","status":"away","data": { "device" : "mobile" } })");
  EXPECT_EQ(p.status, PresenceStatus::away);
  EXPECT_EQ(p.data_json, R"({"device":"mobile"})");
}

TEST(ParsePresence, EveryStatusParses) {
  EXPECT_EQ(parse_as<PresenceSet>(R"({"type":"presence","status":"online"})").status, PresenceStatus::online);
  EXPECT_EQ(parse_as<PresenceSet>(R"({"type":"presence","status":"away"})").status, PresenceStatus::away);
  EXPECT_EQ(parse_as<PresenceSet>(R"({"type":"presence","status":"busy"})").status, PresenceStatus::busy);
  EXPECT_EQ(parse_as<PresenceSet>(R"({"type":"presence","status":"offline"})").status, PresenceStatus::offline);
}

TEST(ParsePresence, AbsentOrNullDataIsNoData) {
  EXPECT_FALSE(parse_as<PresenceSet>(R"({"type":"presence","status":"busy"})").data_json.has_value());
  EXPECT_FALSE(parse_as<PresenceSet>(R"({"type":"presence","status":"busy","data":null})").data_json.has_value());
}

TEST(ParsePresence, UnknownStatusIsInvalid) {
  for (std::string_view s : {R"("invisible")", R"("Online")", "1", "null", R"("")"})
    expect_invalid(R"({"type":"presence","status":)" + std::string(s) + "}",
                   "status must be one of online, away, busy, offline");
  expect_invalid(R"({"type":"presence"})", "status must be one of online, away, busy, offline");
}

TEST(ParsePresence, NonObjectDataIsInvalid) {
  for (std::string_view d : {"[1]", R"("x")", "5", "true"})
    expect_invalid(R"({"type":"presence","status":"away","data":)" + std::string(d) + "}",
                   "data must be an object of at most 1024 bytes");
}

// {"k":"<pad>"} serializes to exactly `bytes` bytes.
std::string data_of_size(std::size_t bytes) { return R"({"k":")" + std::string(bytes - 8, 'x') + "\"}"; }

TEST(ParsePresence, DataOfExactly1KiBIsAcceptedAndOneMoreByteIsNot) {
  std::string ok = data_of_size(1024);
  ASSERT_EQ(ok.size(), 1024u);
  EXPECT_EQ(parse_as<PresenceSet>(R"({"type":"presence","status":"away","data":)" + ok + "}").data_json, ok);
  expect_invalid(R"({"type":"presence","status":"away","data":)" + data_of_size(1025) + "}",
                 "data must be an object of at most 1024 bytes");
}

TEST(ParsePresence, DataSizeIsMeasuredCompact) {
  // 1024 bytes once the spaces the client sent are dropped
  std::string spaced = R"({ "k" :  ")" + std::string(1016, 'x') + "\"  }";
  EXPECT_EQ(parse_as<PresenceSet>(R"({"type":"presence","status":"away","data":)" + spaced + "}").data_json->size(),
            1024u);
}

TEST(ParsePresence, LargeDataIsRefusedWithoutFullSerialization) {
  std::string big = R"({"k":")" + std::string(60'000, 'x') + "\"}";
  expect_invalid(R"({"type":"presence","status":"away","data":)" + big + "}",
                 "data must be an object of at most 1024 bytes");
}

TEST(ParsePresence, NestedDataRoundTripsAsJson) {
  auto p = parse_as<PresenceSet>(
      R"({"type":"presence","status":"busy","data":{"a":[1,2.5,{"b":null}],"s":"q\"\\\n"}})");
  ASSERT_TRUE(p.data_json);
  boost::json::value v = boost::json::parse(*p.data_json);
  EXPECT_EQ(v.at("a").at(1).as_double(), 2.5);
  EXPECT_TRUE(v.at("a").at(2).at("b").is_null());
  EXPECT_EQ(v.at("s").as_string(), "q\"\\\n");
}

// Found by tests/fuzz/protocol_fuzz: 1e400 parses as an infinity, which
// Boost.JSON writes back as `Infinity`, so data_json was not JSON and every
// receiver of the presence event got a frame its JSON.parse refuses.
TEST(ParsePresence, NumbersOutOfRangeInDataAreInvalid) {
  for (std::string_view d : {R"({"a":1e400})", R"({"a":[1,2.51e400,true]})", R"({"b":{"c":-1e999}})"})
    expect_invalid(R"({"type":"presence","status":"busy","data":)" + std::string(d) + "}",
                   "data must not hold a number out of range");
  // Large and tiny finite numbers stay, and what is kept parses back.
  auto p = parse_as<PresenceSet>(R"({"type":"presence","status":"busy","data":{"a":1e300,"b":1e-400}})");
  ASSERT_TRUE(p.data_json);
  EXPECT_TRUE(boost::json::parse(*p.data_json).is_object());
}

TEST(ParsePresence, StatusIsCheckedBeforeData) {
  expect_invalid(R"({"type":"presence","status":"zzz","data":5})",
                 "status must be one of online, away, busy, offline");
}

TEST(ParseAuth, TokenParses) {
  EXPECT_EQ(parse_as<AuthRefresh>(R"({"type":"auth","token":"eyJ.abc.def"})").token, "eyJ.abc.def");
}

TEST(ParseAuth, MissingEmptyOrNonStringTokenIsInvalid) {
  expect_invalid(R"({"type":"auth"})", "token must be a non-empty string");
  expect_invalid(R"({"type":"auth","token":""})", "token must be a non-empty string");
  expect_invalid(R"({"type":"auth","token":42})", "token must be a non-empty string");
}

TEST(ParseAuth, ErrorEchoesClientMsgId) {
  EXPECT_EQ(parse_error(R"({"type":"auth","client_msg_id":"a1"})").ref, "a1");
}

}  // namespace
}  // namespace herald::protocol
