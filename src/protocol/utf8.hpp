#pragma once
// Code-point counting for length limits. PROTOCOL.md counts characters, and
// for a JS client a "character" limit in code points is the fair reading
// (an emoji is one, not four bytes). The input is valid UTF-8 (the transport
// and the JSON parser both check), so counting the bytes that do not start
// with 10xxxxxx counts code points.
#include <cstddef>
#include <string_view>

namespace herald::protocol {

constexpr std::size_t code_point_count(std::string_view s) noexcept {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// True when s holds between min_chars and max_chars code points. Skips the
// count when the byte length alone decides (a code point is 1..4 bytes).
constexpr bool code_points_within(std::string_view s, std::size_t min_chars,
                                  std::size_t max_chars) noexcept {
  if (s.size() < min_chars) return false;
  if (s.size() <= max_chars) return code_point_count(s) >= min_chars;
  if (s.size() / 4 > max_chars) return false;
  std::size_t n = code_point_count(s);
  return n >= min_chars && n <= max_chars;
}

}  // namespace herald::protocol
