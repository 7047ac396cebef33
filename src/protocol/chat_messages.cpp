// Builders of the chat frames: `chat` (to the recipient and the sender's
// other devices) and `ack` (to the sending connection). `seq` is the mailbox
// seq of the user the frame goes to, so the same message yields different
// frames for sender and recipient; it is omitted when not known.
#include "protocol/json_writer.hpp"
#include "protocol/server_messages.hpp"

namespace herald::protocol {

std::string chat(const ChatEvent& event, std::string_view now) {
  std::string out;
  out.reserve(170 + 4 * 20 + json_string_estimate(event.from_username) +
              json_string_estimate(event.message) + json_string_estimate(event.timestamp) +
              json_string_estimate(now));
  out += R"({"type":"chat",)";
  if (event.seq) {
    out += R"("seq":)";
    append_int(out, raw(*event.seq));
    out += ',';
  }
  out += R"("data":{"id":)";
  append_int(out, raw(event.id));
  out += R"(,"from_user_id":)";
  append_int(out, raw(event.from_user_id));
  out += R"(,"from_username":)";
  append_json_string(out, event.from_username);
  out += R"(,"to_user_id":)";
  append_int(out, raw(event.to_user_id));
  out += R"(,"message":)";
  append_json_string(out, event.message);
  out += R"(,"timestamp":)";
  append_json_string(out, event.timestamp);
  out += R"(},"timestamp":)";
  append_json_string(out, now);
  out += '}';
  return out;
}

std::string ack(const std::optional<std::string>& client_msg_id, MessageId id,
                std::optional<Seq> seq, std::string_view timestamp) {
  std::string out;
  out.reserve(100 + 2 * 20 + (client_msg_id ? json_string_estimate(*client_msg_id) : 4) +
              json_string_estimate(timestamp));
  out += R"({"type":"ack","data":{"client_msg_id":)";
  if (client_msg_id)
    append_json_string(out, *client_msg_id);
  else
    out += "null";
  out += R"(,"id":)";
  append_int(out, raw(id));
  if (seq) {
    out += R"(,"seq":)";
    append_int(out, raw(*seq));
  }
  out += R"(,"timestamp":)";
  append_json_string(out, timestamp);
  out += "}}";
  return out;
}

}  // namespace herald::protocol
