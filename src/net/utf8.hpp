#pragma once
// Incremental UTF-8 validation for WebSocket text (RFC 6455 section 8.1).
//
// A text message may arrive in many frames and many TCP reads, so a code
// point can be split anywhere: the validator keeps the few bits of state a
// half-read sequence needs and is fed chunk by chunk. It accepts exactly the
// well-formed sequences of Unicode Table 3-7: no overlongs, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF. Once it has seen a bad byte it
// stays failed until reset().
#include <cstdint>
#include <string_view>

namespace herald::net {

class Utf8Validator {
 public:
  // Feeds the next bytes; returns false as soon as the stream so far can no
  // longer be valid UTF-8 (and on every later call).
  bool feed(std::string_view bytes);
  // True when everything fed so far is valid and no sequence is left open:
  // call at the end of a message to catch a truncated code point.
  bool complete() const { return need_ == 0 && !failed_; }
  bool failed() const { return failed_; }
  void reset() { *this = Utf8Validator{}; }

 private:
  std::uint8_t need_ = 0;    // continuation bytes still expected
  std::uint8_t lo_ = 0x80;   // allowed range of the next continuation byte
  std::uint8_t hi_ = 0xBF;
  bool failed_ = false;
};

// Whole-buffer convenience: valid and complete.
bool is_valid_utf8(std::string_view bytes);

}  // namespace herald::net
