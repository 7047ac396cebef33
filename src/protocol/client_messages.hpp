#pragma once
// Client -> server messages (PROTOCOL.md section 4) as typed values, and the
// single entry point that turns one text frame into one of them.
//
// Invariants of a successfully parsed message:
// - every field named by section 4 has been checked (type, range, length);
//   character limits count Unicode code points, not bytes;
// - ids are positive and fit in int64;
// - optional fields that were absent or JSON null are std::nullopt;
// - PresenceSet::data_json, when set, is a compact JSON object of at most
//   Limits::max_presence_data_bytes bytes, safe to embed verbatim in a frame.
// Business rules that need state (the recipient exists, is not the sender,
// subscription count) are the realtime module's job, not this one's.
#include <cstddef>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/error.hpp"
#include "protocol/presence_status.hpp"
#include "util/ids.hpp"

namespace herald::protocol {

struct Ping {};

struct Typing {
  bool is_typing;
  std::string context;
  std::optional<UserId> to_user_id;  // typing in a direct chat (extension)
};

struct Subscribe {
  std::string context;
};

struct Unsubscribe {
  std::string context;
};

struct PresenceSet {
  PresenceStatus status;
  std::optional<std::string> data_json;  // compact JSON object, see above
};

struct ChatSend {
  UserId to_user_id;
  std::string message;
  std::optional<std::string> client_msg_id;  // idempotency key, 1..64 chars
};

struct AuthRefresh {
  std::string token;
};

using ClientMessage =
    std::variant<Ping, Typing, Subscribe, Unsubscribe, PresenceSet, ChatSend, AuthRefresh>;

struct Limits {
  std::size_t max_chat_chars = 4096;
  std::size_t max_context_chars = 128;
  std::size_t max_client_msg_id_chars = 64;
  std::size_t max_presence_data_bytes = 1024;
};

// Parses and validates one text frame (already valid UTF-8: the transport
// checks). Errors, in the order they are checked:
//   INVALID_JSON         not JSON (NaN, Infinity, truncated, empty, trailing
//                        garbage), nested deeper than 32, or not an object;
//   UNKNOWN_MESSAGE_TYPE `type` missing, not a string, or not a known name;
//   INVALID_MESSAGE      the first field rule of that type that fails.
// Duplicate keys: the last occurrence wins (Boost.JSON's parser behaviour).
// `ref` is set to the top-level `client_msg_id` when it is a string, for
// INVALID_MESSAGE and UNKNOWN_MESSAGE_TYPE errors.
std::expected<ClientMessage, ProtocolError> parse_client_message(std::string_view text,
                                                                 const Limits& limits = {});

// "ping", "typing", "subscribe", "unsubscribe", "presence", "message", "auth":
// the wire `type`, used as the metrics label.
std::string_view message_type_name(const ClientMessage& message);

}  // namespace herald::protocol
