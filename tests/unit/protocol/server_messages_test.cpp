// Server frame builders (PROTOCOL.md section 3): each output is parsed back
// with Boost.JSON and checked field by field, and its exact text pins the
// field order the contract shows.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "protocol/server_messages.hpp"

namespace herald::protocol {
namespace {

namespace bj = boost::json;

constexpr std::string_view kNow = "2025-10-22T10:00:00.123Z";
const std::string kTricky = "q\"b\\s\n\t\x01 é😀";  // needs every kind of escape

bj::object parse_object(const std::string& frame) {
  bj::value v = bj::parse(frame);  // throws (test fails) on invalid JSON
  return v.as_object();
}

std::string str(const bj::value& v) { return std::string(v.as_string().data(), v.as_string().size()); }

TEST(ServerMessages, Connected) {
  ConnectedInfo info{"alice", UserId{123}, 42, "c00000000000000ff", std::string(kNow), 30, 3, 57};
  std::string frame = connected(info);
  EXPECT_EQ(frame,
            R"({"type":"connected","data":{"message":"Welcome, alice!","user_id":123,"online_count":42,)"
            R"("connection_id":"c00000000000000ff","server_time":"2025-10-22T10:00:00.123Z",)"
            R"("heartbeat_interval":30,"unread_notifications":3,"last_seq":57}})");
  bj::object o = parse_object(frame);
  const bj::object& d = o.at("data").as_object();
  EXPECT_EQ(str(o.at("type")), "connected");
  EXPECT_EQ(d.at("user_id").as_int64(), 123);
  EXPECT_EQ(d.at("last_seq").as_int64(), 57);
  EXPECT_FALSE(d.contains("resync"));
}

TEST(ServerMessages, ConnectedWithResyncAndEscapedName) {
  ConnectedInfo info{kTricky, UserId{1}, 1, "c1", std::string(kNow), 30, 0, 0, true};
  bj::object d = parse_object(connected(info)).at("data").as_object();
  EXPECT_EQ(str(d.at("message")), "Welcome, " + kTricky + "!");
  EXPECT_EQ(d.at("resync").as_bool(), true);
  EXPECT_EQ(d.at("heartbeat_interval").as_int64(), 30);
}

TEST(ServerMessages, Pong) {
  EXPECT_EQ(pong(kNow), R"({"type":"pong","timestamp":"2025-10-22T10:00:00.123Z"})");
}

TEST(ServerMessages, UserStatus) {
  EXPECT_EQ(user_status(UserId{456}, true, kNow),
            R"({"type":"user_status","data":{"user_id":456,"status":"online","timestamp":"2025-10-22T10:00:00.123Z"}})");
  bj::object d = parse_object(user_status(UserId{456}, false, kNow)).at("data").as_object();
  EXPECT_EQ(str(d.at("status")), "offline");
  EXPECT_EQ(d.at("user_id").as_int64(), 456);
}

TEST(ServerMessages, PresenceWithData) {
  std::string frame = presence(UserId{456}, PresenceStatus::away, std::string(R"({"device":"desktop"})"));
  EXPECT_EQ(frame, R"({"type":"presence","data":{"user_id":456,"status":"away","data":{"device":"desktop"}}})");
  bj::object d = parse_object(frame).at("data").as_object();
  EXPECT_EQ(str(d.at("data").at("device")), "desktop");
}

TEST(ServerMessages, PresenceWithoutDataOmitsIt) {
  bj::object d = parse_object(presence(UserId{7}, PresenceStatus::busy, std::nullopt)).at("data").as_object();
  EXPECT_EQ(str(d.at("status")), "busy");
  EXPECT_FALSE(d.contains("data"));
}

TEST(ServerMessages, Typing) {
  EXPECT_EQ(typing(UserId{456}, true, "post_123"),
            R"({"type":"typing","data":{"user_id":456,"is_typing":true,"context":"post_123"}})");
  bj::object d = parse_object(typing(UserId{1}, false, kTricky)).at("data").as_object();
  EXPECT_EQ(d.at("is_typing").as_bool(), false);
  EXPECT_EQ(str(d.at("context")), kTricky);
}

ChatEvent sample_chat() {
  return ChatEvent{Seq{58}, MessageId{9001}, UserId{456}, "John", UserId{123}, "Hello!",
                   "2025-10-22T09:59:59.000Z"};
}

TEST(ServerMessages, Chat) {
  EXPECT_EQ(chat(sample_chat(), kNow),
            R"({"type":"chat","seq":58,"data":{"id":9001,"from_user_id":456,"from_username":"John",)"
            R"("to_user_id":123,"message":"Hello!","timestamp":"2025-10-22T09:59:59.000Z"},)"
            R"("timestamp":"2025-10-22T10:00:00.123Z"})");
}

TEST(ServerMessages, ChatWithoutSeqAndEscapedText) {
  ChatEvent e = sample_chat();
  e.seq.reset();
  e.message = kTricky;
  e.from_username = kTricky;
  bj::object o = parse_object(chat(e, kNow));
  EXPECT_FALSE(o.contains("seq"));
  const bj::object& d = o.at("data").as_object();
  EXPECT_EQ(str(d.at("message")), kTricky);
  EXPECT_EQ(str(d.at("from_username")), kTricky);
  EXPECT_EQ(d.at("id").as_int64(), 9001);
  EXPECT_EQ(d.at("to_user_id").as_int64(), 123);
  EXPECT_EQ(str(d.at("timestamp")), "2025-10-22T09:59:59.000Z");
  EXPECT_EQ(str(o.at("timestamp")), kNow);
}

TEST(ServerMessages, Ack) {
  EXPECT_EQ(ack(std::string("abc"), MessageId{9001}, Seq{12}, kNow),
            R"({"type":"ack","data":{"client_msg_id":"abc","id":9001,"seq":12,"timestamp":"2025-10-22T10:00:00.123Z"}})");
}

TEST(ServerMessages, AckWithoutClientMsgIdOrSeq) {
  bj::object d = parse_object(ack(std::nullopt, MessageId{5}, std::nullopt, kNow)).at("data").as_object();
  EXPECT_TRUE(d.at("client_msg_id").is_null());
  EXPECT_FALSE(d.contains("seq"));
  EXPECT_EQ(d.at("id").as_int64(), 5);
}

TEST(ServerMessages, SubscribedAndUnsubscribed) {
  EXPECT_EQ(subscribed("post_123"), R"({"type":"subscribed","context":"post_123"})");
  EXPECT_EQ(unsubscribed("post_123"), R"({"type":"unsubscribed","context":"post_123"})");
  EXPECT_EQ(str(parse_object(subscribed(kTricky)).at("context")), kTricky);
}

TEST(ServerMessages, ErrorWithRef) {
  EXPECT_EQ(error(ErrorCode::invalid_message, "to_user_id must be a positive integer", std::string("abc"), kNow),
            R"({"type":"error","error_code":"INVALID_MESSAGE","message":"to_user_id must be a positive integer",)"
            R"("timestamp":"2025-10-22T10:00:00.123Z","ref":"abc"})");
}

TEST(ServerMessages, ErrorFromProtocolErrorWithoutRef) {
  bj::object o = parse_object(error(ProtocolError{ErrorCode::invalid_json, "bad \"json\"", std::nullopt}, kNow));
  EXPECT_EQ(str(o.at("error_code")), "INVALID_JSON");
  EXPECT_EQ(str(o.at("message")), "bad \"json\"");
  EXPECT_FALSE(o.contains("ref"));
}

TEST(ServerMessages, ErrorEscapesRef) {
  bj::object o = parse_object(error(ErrorCode::user_not_found, "no such user", kTricky, kNow));
  EXPECT_EQ(str(o.at("ref")), kTricky);
}

TEST(ServerMessages, AuthOk) {
  EXPECT_EQ(auth_ok(kNow), R"({"type":"auth_ok","data":{"expires_at":"2025-10-22T10:00:00.123Z"}})");
}

NotificationEvent sample_notification() {
  return NotificationEvent{Seq{59},        789, "new_follower", "New follower", "John followed you",
                           R"({"follower_id":456})", std::string("/users/456"), false,
                           "2025-10-22T09:00:00.000Z"};
}

TEST(ServerMessages, NotificationHasTheSeedShape) {
  EXPECT_EQ(notification(sample_notification(), kNow),
            R"({"type":"notification","seq":59,"notification_type":"new_follower",)"
            R"("data":{"id":789,"type":"new_follower","title":"New follower","message":"John followed you",)"
            R"("data":{"follower_id":456},"link":"/users/456","read":false,"created_at":"2025-10-22T09:00:00.000Z"},)"
            R"("timestamp":"2025-10-22T10:00:00.123Z"})");
}

TEST(ServerMessages, NotificationDataIsTheInnerObject) {
  NotificationEvent n = sample_notification();
  bj::object full = parse_object(notification(n, kNow));
  EXPECT_EQ(parse_object(notification_data(n)), full.at("data").as_object());
}

TEST(ServerMessages, NotificationWithoutSeqLinkOrDataAndEscapedText) {
  NotificationEvent n = sample_notification();
  n.seq.reset();
  n.link.reset();
  n.data_json.clear();
  n.read = true;
  n.title = kTricky;
  bj::object o = parse_object(notification(n, kNow));
  EXPECT_FALSE(o.contains("seq"));
  const bj::object& d = o.at("data").as_object();
  EXPECT_TRUE(d.at("link").is_null());
  EXPECT_TRUE(d.at("data").as_object().empty());
  EXPECT_EQ(d.at("read").as_bool(), true);
  EXPECT_EQ(str(d.at("title")), kTricky);
  EXPECT_EQ(d.at("id").as_int64(), 789);
}

}  // namespace
}  // namespace herald::protocol
