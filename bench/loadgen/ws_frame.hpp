#pragma once
// Minimal RFC 6455 client framing. Clients must mask every frame (5.3);
// servers never mask. Only what the scenarios need: single-frame text and
// control frames out; any frame in, with continuation reassembly done by the
// caller.
#include <cstdint>
#include <string>
#include <string_view>

namespace herald::bench {

enum class Opcode : std::uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

// Appends one masked, final frame carrying `payload` to `out`.
void append_frame(std::string& out, Opcode op, std::string_view payload, std::uint32_t mask);

struct FrameView {
  bool fin = false;
  Opcode opcode = Opcode::text;
  std::string_view payload;  // points into the parsed buffer
  std::size_t size = 0;      // header + payload bytes consumed
};

enum class ParseStatus { ok, need_more, bad };

// Parses one server frame at the start of `buf`. Masked server frames are
// unmasked in place (they are a protocol error, but cost nothing to accept).
ParseStatus parse_frame(char* buf, std::size_t len, FrameView& out);

// Fast per-loop mask generator (xorshift); masking here defeats proxies'
// cache poisoning, not attackers, so a CSPRNG is not needed on loopback.
class MaskSource {
 public:
  std::uint32_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return static_cast<std::uint32_t>(state_ >> 16);
  }

 private:
  std::uint64_t state_ = 0x9E3779B97F4A7C15ULL;
};

}  // namespace herald::bench
