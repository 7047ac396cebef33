// Builders of the connection-level frames: connected, pong, user_status,
// presence, typing, subscribed/unsubscribed, error, auth_ok. Chat and ack
// live in chat_messages.cpp, notifications in notification_messages.cpp.
// Each reserves a close upper bound first so a frame is one allocation.
#include "protocol/json_writer.hpp"
#include "protocol/server_messages.hpp"

namespace herald::protocol {
namespace {

constexpr std::size_t kIntBound = 20;  // digits + sign of an int64

}  // namespace

std::string connected(const ConnectedInfo& info) {
  std::string out;
  out.reserve(220 + json_string_estimate(info.username) + json_string_estimate(info.connection_id) +
              json_string_estimate(info.server_time));
  out += R"({"type":"connected","data":{"message":)";
  // "Welcome, <username>!" escaped as one string: the name may need escaping.
  std::string welcome;
  welcome.reserve(info.username.size() + 10);
  welcome += "Welcome, ";
  welcome += info.username;
  welcome += '!';
  append_json_string(out, welcome);
  out += R"(,"user_id":)";
  append_int(out, raw(info.user_id));
  out += R"(,"online_count":)";
  append_int(out, info.online_count);
  out += R"(,"connection_id":)";
  append_json_string(out, info.connection_id);
  out += R"(,"server_time":)";
  append_json_string(out, info.server_time);
  out += R"(,"heartbeat_interval":)";
  append_int(out, info.heartbeat_interval);
  out += R"(,"unread_notifications":)";
  append_int(out, info.unread_notifications);
  out += R"(,"last_seq":)";
  append_int(out, info.last_seq);
  if (info.resync) out += R"(,"resync":true)";
  out += "}}";
  return out;
}

std::string pong(std::string_view timestamp) {
  std::string out;
  out.reserve(32 + json_string_estimate(timestamp));
  out += R"({"type":"pong","timestamp":)";
  append_json_string(out, timestamp);
  out += '}';
  return out;
}

std::string user_status(UserId user, bool online, std::string_view timestamp) {
  std::string out;
  out.reserve(80 + kIntBound + json_string_estimate(timestamp));
  out += R"({"type":"user_status","data":{"user_id":)";
  append_int(out, raw(user));
  out += online ? R"(,"status":"online","timestamp":)" : R"(,"status":"offline","timestamp":)";
  append_json_string(out, timestamp);
  out += "}}";
  return out;
}

std::string presence(UserId user, PresenceStatus status,
                     const std::optional<std::string>& data_json) {
  std::string out;
  out.reserve(80 + kIntBound + (data_json ? data_json->size() : 0));
  out += R"({"type":"presence","data":{"user_id":)";
  append_int(out, raw(user));
  out += R"(,"status":)";
  append_json_string(out, to_string(status));
  if (data_json) {
    out += R"(,"data":)";
    out += *data_json;  // already a compact, validated JSON object
  }
  out += "}}";
  return out;
}

std::string typing(UserId user, bool is_typing, std::string_view context) {
  std::string out;
  out.reserve(80 + kIntBound + json_string_estimate(context));
  out += R"({"type":"typing","data":{"user_id":)";
  append_int(out, raw(user));
  out += R"(,"is_typing":)";
  append_bool(out, is_typing);
  out += R"(,"context":)";
  append_json_string(out, context);
  out += "}}";
  return out;
}

namespace {
std::string context_frame(std::string_view prefix, std::string_view context) {
  std::string out;
  out.reserve(prefix.size() + 2 + json_string_estimate(context));
  out += prefix;
  append_json_string(out, context);
  out += '}';
  return out;
}
}  // namespace

std::string subscribed(std::string_view context) {
  return context_frame(R"({"type":"subscribed","context":)", context);
}

std::string unsubscribed(std::string_view context) {
  return context_frame(R"({"type":"unsubscribed","context":)", context);
}

std::string error(ErrorCode code, std::string_view message, const std::optional<std::string>& ref,
                  std::string_view timestamp) {
  std::string out;
  out.reserve(90 + json_string_estimate(message) + json_string_estimate(timestamp) +
              (ref ? json_string_estimate(*ref) : 0));
  out += R"({"type":"error","error_code":")";
  out += to_string(code);  // fixed upper-case names: nothing to escape
  out += R"(","message":)";
  append_json_string(out, message);
  out += R"(,"timestamp":)";
  append_json_string(out, timestamp);
  if (ref) {
    out += R"(,"ref":)";
    append_json_string(out, *ref);
  }
  out += '}';
  return out;
}

std::string error(const ProtocolError& e, std::string_view timestamp) {
  return error(e.code, e.message, e.ref, timestamp);
}

std::string auth_ok(std::string_view expires_at) {
  std::string out;
  out.reserve(48 + json_string_estimate(expires_at));
  out += R"({"type":"auth_ok","data":{"expires_at":)";
  append_json_string(out, expires_at);
  out += "}}";
  return out;
}

}  // namespace herald::protocol
