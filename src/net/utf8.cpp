// A small DFA over (continuation bytes needed, range of the next byte).
// The range encodes the second-byte restrictions of Table 3-7, which is
// where overlongs (E0, F0), surrogates (ED) and > U+10FFFF (F4) are caught.
#include "net/utf8.hpp"

#include <cstring>

namespace herald::net {

bool Utf8Validator::feed(std::string_view bytes) {
  if (failed_) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* end = p + bytes.size();
  while (p < end) {
    if (need_ == 0) {
      // ASCII fast path, 8 bytes at a time: JSON is mostly ASCII.
      while (end - p >= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);
        if (word & 0x8080808080808080ULL) break;
        p += 8;
      }
      if (p == end) break;
      const unsigned char b = *p++;
      if (b < 0x80) continue;
      lo_ = 0x80;
      hi_ = 0xBF;
      if (b >= 0xC2 && b <= 0xDF) {
        need_ = 1;
      } else if (b == 0xE0) {
        need_ = 2, lo_ = 0xA0;  // below A0 would be overlong
      } else if (b == 0xED) {
        need_ = 2, hi_ = 0x9F;  // above 9F would be a surrogate
      } else if (b >= 0xE1 && b <= 0xEF) {
        need_ = 2;
      } else if (b == 0xF0) {
        need_ = 3, lo_ = 0x90;  // below 90 would be overlong
      } else if (b >= 0xF1 && b <= 0xF3) {
        need_ = 3;
      } else if (b == 0xF4) {
        need_ = 3, hi_ = 0x8F;  // above 8F would exceed U+10FFFF
      } else {
        failed_ = true;  // stray continuation, C0/C1 overlong lead, F5..FF
        return false;
      }
    } else {
      const unsigned char b = *p++;
      if (b < lo_ || b > hi_) {
        failed_ = true;
        return false;
      }
      --need_;
      lo_ = 0x80;
      hi_ = 0xBF;
    }
  }
  return true;
}

bool is_valid_utf8(std::string_view bytes) {
  Utf8Validator v;
  return v.feed(bytes) && v.complete();
}

}  // namespace herald::net
