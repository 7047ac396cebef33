// Wire names of the error codes (PROTOCOL.md section 3, table of codes).
#include "protocol/error.hpp"

namespace herald::protocol {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_json: return "INVALID_JSON";
    case ErrorCode::unknown_message_type: return "UNKNOWN_MESSAGE_TYPE";
    case ErrorCode::message_processing_error: return "MESSAGE_PROCESSING_ERROR";
    case ErrorCode::invalid_message: return "INVALID_MESSAGE";
    case ErrorCode::user_not_found: return "USER_NOT_FOUND";
    case ErrorCode::rate_limited: return "RATE_LIMITED";
    case ErrorCode::forbidden: return "FORBIDDEN";
    case ErrorCode::invalid_token: return "INVALID_TOKEN";
  }
  return "MESSAGE_PROCESSING_ERROR";  // unreachable for valid enum values
}

}  // namespace herald::protocol
