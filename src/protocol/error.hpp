#pragma once
// Protocol error codes (PROTOCOL.md section 3, `error` frame) and the error
// value that parsing returns. Every failure of a client frame maps to exactly
// one ErrorCode; the wire name is fixed by the contract and never localized.
#include <optional>
#include <string>
#include <string_view>

namespace herald::protocol {

enum class ErrorCode {
  invalid_json,
  unknown_message_type,
  message_processing_error,
  invalid_message,
  user_not_found,
  rate_limited,
  invalid_token,
  forbidden,  // subscribing to presence:<id> without the right to see it
};

// "INVALID_JSON", "UNKNOWN_MESSAGE_TYPE", ... (the `error_code` field).
std::string_view to_string(ErrorCode code);

struct ProtocolError {
  ErrorCode code;
  std::string message;  // human text naming the field; never contains secrets
  // client_msg_id of the offending message when it had a string one, so the
  // client can match the error to what it sent.
  std::optional<std::string> ref;
};

}  // namespace herald::protocol
