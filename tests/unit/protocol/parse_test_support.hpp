#pragma once
// Shared helpers for the parser tests: parse and unwrap one alternative, or
// parse and return the error, with gtest failures that show the input.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "protocol/client_messages.hpp"

namespace herald::protocol::test {

template <class T>
T parse_as(std::string_view text, const Limits& limits = {}) {
  auto r = parse_client_message(text, limits);
  if (!r) {
    ADD_FAILURE() << "unexpected error " << to_string(r.error().code) << " '" << r.error().message
                  << "' for: " << text.substr(0, 200);
    return T{};
  }
  if (!std::holds_alternative<T>(*r)) {
    ADD_FAILURE() << "wrong message kind " << message_type_name(*r) << " for: " << text;
    return T{};
  }
  return std::get<T>(*r);
}

inline ProtocolError parse_error(std::string_view text, const Limits& limits = {}) {
  auto r = parse_client_message(text, limits);
  if (r) {
    ADD_FAILURE() << "parsed as " << message_type_name(*r)
                  << " but expected an error for: " << text.substr(0, 200);
    return ProtocolError{ErrorCode::message_processing_error, "", std::nullopt};
  }
  return r.error();
}

// n copies of a string (e.g. a multi-byte character).
inline std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace herald::protocol::test
