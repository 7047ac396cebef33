#pragma once
// Server -> client frames (PROTOCOL.md section 3), each built straight into
// one std::string of compact JSON with the fields in the order the contract
// shows them. Every event is serialized once and the buffer shared by all of
// its recipients, so these builders are the only place that writes frames.
//
// Invariants: string arguments are valid UTF-8 and get JSON-escaped; the
// *_json arguments (presence data, notification data) must already be a
// compact JSON object (PresenceSet::data_json, or what the store kept) and
// are embedded verbatim.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/error.hpp"
#include "protocol/presence_status.hpp"
#include "util/ids.hpp"

namespace herald::protocol {

struct ConnectedInfo {
  std::string username;
  UserId user_id;
  std::int64_t online_count;
  std::string connection_id;
  std::string server_time;
  int heartbeat_interval;
  std::int64_t unread_notifications;
  std::int64_t last_seq;
  bool resync = false;  // "resync":true is emitted only when true
};

// {"type":"connected","data":{"message":"Welcome, <username>!","user_id":..,...}}
std::string connected(const ConnectedInfo& info);

// {"type":"pong","timestamp":".."}
std::string pong(std::string_view timestamp);

// {"type":"user_status","data":{"user_id":..,"status":"online"|"offline","timestamp":".."}}
std::string user_status(UserId user, bool online, std::string_view timestamp);

// {"type":"presence","data":{"user_id":..,"status":"away","data":{..}}};
// the inner "data" only when data_json is set.
std::string presence(UserId user, PresenceStatus status,
                     const std::optional<std::string>& data_json);

// {"type":"typing","data":{"user_id":..,"is_typing":true,"context":".."}}
std::string typing(UserId user, bool is_typing, std::string_view context);

struct ChatEvent {
  std::optional<Seq> seq;  // the recipient's mailbox seq
  MessageId id;
  UserId from_user_id;
  std::string from_username;
  UserId to_user_id;
  std::string message;
  std::string timestamp;  // when the message was stored
};

// {"type":"chat","seq":..,"data":{"id":..,"from_user_id":..,"from_username":"..",
//  "to_user_id":..,"message":"..","timestamp":"<message time>"},"timestamp":"<now>"}
// "seq" only when present.
std::string chat(const ChatEvent& event, std::string_view now);

// {"type":"ack","data":{"client_msg_id":"abc"|null,"id":..,"seq":..,"timestamp":".."}}
// "seq" only when present.
std::string ack(const std::optional<std::string>& client_msg_id, MessageId id,
                std::optional<Seq> seq, std::string_view timestamp);

// {"type":"subscribed","context":".."} / {"type":"unsubscribed","context":".."}
std::string subscribed(std::string_view context);
std::string unsubscribed(std::string_view context);

// {"type":"error","error_code":"..","message":"..","timestamp":"..","ref":".."}
// "ref" only when present.
std::string error(ErrorCode code, std::string_view message, const std::optional<std::string>& ref,
                  std::string_view timestamp);
std::string error(const ProtocolError& e, std::string_view timestamp);

// {"type":"auth_ok","data":{"expires_at":".."}}
std::string auth_ok(std::string_view expires_at);

struct NotificationEvent {
  std::optional<Seq> seq;
  std::int64_t id;
  std::string type;
  std::string title;
  std::string message;
  std::string data_json = "{}";  // a JSON object; empty is treated as {}
  std::optional<std::string> link;  // null when absent
  bool read;
  std::string created_at;
};

// {"id":..,"type":"..","title":"..","message":"..","data":{..},"link":".."|null,
//  "read":false,"created_at":".."}: the notification object alone, which the
// REST list (GET /notifications) reuses as its items.
std::string notification_data(const NotificationEvent& n);

// {"type":"notification","seq":..,"notification_type":"..","data":<notification_data>,
//  "timestamp":"<now>"}; "seq" only when present.
std::string notification(const NotificationEvent& n, std::string_view now);

}  // namespace herald::protocol
