#pragma once
// Just enough JSON reading for the load generator: find the first value of a
// key in a server frame without building a document. Tolerates the blanks
// that Python's json.dumps puts after ':' and ','. It assumes the keys it
// looks for are not also inside earlier string values, which holds for the
// frames the scenarios read (the outer "type" comes first in every server).
#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace herald::bench {

// Position just after `"key"` and the following ':' (blanks skipped), or npos.
inline std::size_t json_value_pos(std::string_view doc, std::string_view key, std::size_t from = 0) {
  while (true) {
    auto at = doc.find(key, from);
    if (at == std::string_view::npos) return at;
    from = at + key.size();
    if (at == 0 || doc[at - 1] != '"' || from >= doc.size() || doc[from] != '"') continue;
    std::size_t p = from + 1;
    while (p < doc.size() && (doc[p] == ' ' || doc[p] == '\t')) ++p;
    if (p >= doc.size() || doc[p] != ':') continue;
    ++p;
    while (p < doc.size() && (doc[p] == ' ' || doc[p] == '\t' || doc[p] == '\n')) ++p;
    return p;
  }
}

// A string value without escapes (enough for type names, ids, our payloads).
inline std::optional<std::string_view> json_string(std::string_view doc, std::string_view key,
                                                   std::size_t from = 0) {
  auto p = json_value_pos(doc, key, from);
  if (p == std::string_view::npos || p >= doc.size() || doc[p] != '"') return std::nullopt;
  auto end = doc.find('"', p + 1);
  if (end == std::string_view::npos) return std::nullopt;
  return doc.substr(p + 1, end - p - 1);
}

inline std::optional<std::int64_t> json_int(std::string_view doc, std::string_view key, std::size_t from = 0) {
  auto p = json_value_pos(doc, key, from);
  if (p == std::string_view::npos) return std::nullopt;
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(doc.data() + p, doc.data() + doc.size(), v);
  if (ec != std::errc{}) return std::nullopt;
  return v;
}

// Leading decimal digits of `text` after skipping `skip` characters.
inline std::optional<std::int64_t> leading_int(std::string_view text, std::size_t skip = 0) {
  if (text.size() <= skip) return std::nullopt;
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data() + skip, text.data() + text.size(), v);
  if (ec != std::errc{}) return std::nullopt;
  return v;
}

inline std::string_view json_type(std::string_view doc) { return json_string(doc, "type").value_or(""); }

}  // namespace herald::bench
