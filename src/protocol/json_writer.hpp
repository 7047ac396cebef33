#pragma once
// Append-only JSON text helpers for the server message builders. Building a
// frame by appending into one reserved std::string is several times faster
// than filling a boost::json::object and serializing it, and every frame
// shape is fixed by PROTOCOL.md, so a generic builder buys nothing.
//
// Escaping: '"', '\\' and every byte below 0x20 are escaped (\b \f \n \r \t
// short forms, \u00XX otherwise); all other bytes, including multi-byte UTF-8,
// are copied as is. The input is assumed to be valid UTF-8.
#include <cstdint>
#include <string>
#include <string_view>

namespace herald::protocol {

// Appends s as a quoted, escaped JSON string.
void append_json_string(std::string& out, std::string_view s);

// Appends the decimal digits of v.
void append_int(std::string& out, std::int64_t v);

inline void append_bool(std::string& out, bool v) { out += v ? "true" : "false"; }

// A reserve() estimate of the escaped length of s without scanning it:
// right for ordinary text (few escapes); text full of control characters
// (6 bytes each) just makes the string grow once more.
constexpr std::size_t json_string_estimate(std::string_view s) { return s.size() + 2 + s.size() / 8; }

}  // namespace herald::protocol
