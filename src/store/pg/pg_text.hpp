#pragma once
// Free text (chat bodies and client_msg_ids, post and comment contents,
// notification fields) as PgDatabase stores it in PostgreSQL text columns.
//
// Why: PostgreSQL's text cannot hold a NUL byte (the server refuses one,
// and libpq would read a text parameter up to it), while the protocol's
// JSON strings can carry "\u0000" and SQLite stores and returns them whole.
// So that both backends return what was given, byte for byte, PgDatabase
// writes such text through to_pg_text and reads it back through
// from_pg_text:
//
//   '\x01' is written "\x01\x01", '\0' is written "\x01" "0" (0x30),
//   every other byte as it is.
//
// Why this escape: it is a bijection from all byte strings onto the
// strings in which every 0x01 starts one of those two pairs, so an
// equality on the stored form is an equality on the original (the unique
// index and the lookup of a repeated client_msg_id keep working, the
// herald_insert_chat function in pg_schema.hpp compares what it is given
// and needs no change), and it maps valid UTF-8 to valid UTF-8 (both bytes
// are ASCII). Text that holds neither byte (nearly all of it) is stored as
// it is, so it reads the same in psql and to older code, and costs one
// scan (the fast paths below) rather than a copy built byte by byte.
//
// What it does not keep: byte order inside a column (ORDER BY or LIKE on
// escaped text would see the escapes) and byte lengths; PgDatabase does
// neither on these columns. Identifiers (usernames, token ids) are not
// escaped: they are compared and indexed as they are (username_lc), so
// they stay as PostgreSQL can hold them, and a name with a NUL byte is
// not looked up (find_registered).
//
// A row stored before this escape may hold a bare 0x01 (NUL was refused,
// 0x01 was not). from_pg_text keeps a 0x01 that starts neither pair, so
// such text reads back as it was stored unless its 0x01 happens to be
// followed by 0x01 or '0'.
#include <string>
#include <string_view>

namespace herald::store::pg {

inline constexpr char kPgTextEscape = '\x01';
inline constexpr char kPgTextNulMark = '0';  // "\x01" "0" stands for '\0'

// `text` as stored: every '\0' and '\x01' escaped, the rest unchanged.
inline std::string to_pg_text(std::string_view text) {
  constexpr std::string_view kSpecial("\0\x01", 2);
  std::size_t i = text.find_first_of(kSpecial);
  if (i == std::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  out.append(text.substr(0, i));
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\0') {
      out += kPgTextEscape;
      out += kPgTextNulMark;
    } else if (c == kPgTextEscape) {
      out += kPgTextEscape;
      out += kPgTextEscape;
    } else {
      out += c;
    }
  }
  return out;
}

// The text to_pg_text was given, from what it stored. A 0x01 that starts
// neither pair (a row from before the escape) is kept as it is.
inline std::string from_pg_text(std::string_view stored) {
  std::size_t i = stored.find(kPgTextEscape);
  if (i == std::string_view::npos) return std::string(stored);
  std::string out;
  out.reserve(stored.size());
  out.append(stored.substr(0, i));
  for (; i < stored.size(); ++i) {
    const char c = stored[i];
    if (c == kPgTextEscape && i + 1 < stored.size()) {
      const char next = stored[i + 1];
      if (next == kPgTextEscape || next == kPgTextNulMark) {
        out += next == kPgTextNulMark ? '\0' : kPgTextEscape;
        ++i;
        continue;
      }
    }
    out += c;
  }
  return out;
}

}  // namespace herald::store::pg
