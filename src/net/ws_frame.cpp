// Frame header codec and masking. Byte layout, RFC 6455 section 5.2:
//   byte 0: FIN, RSV1-3, opcode;  byte 1: MASK, 7-bit length
//   126 -> 16-bit length follows, 127 -> 64-bit length follows (network order)
//   then the 4-byte mask key when MASK is set.
#include "net/ws_frame.hpp"

#include <cstring>

#include "net/utf8.hpp"

namespace herald::net {

HeaderStatus decode_frame_header(std::span<const std::uint8_t> data, FrameHeader& out) {
  if (data.size() < 2) return HeaderStatus::need_more;
  const std::size_t size = frame_header_size(data[1]);
  if (data.size() < size) return HeaderStatus::need_more;

  out.fin = (data[0] & 0x80) != 0;
  out.rsv = static_cast<std::uint8_t>((data[0] >> 4) & 0x7);
  out.opcode = data[0] & 0x0F;
  out.masked = (data[1] & 0x80) != 0;
  out.size = static_cast<std::uint8_t>(size);

  const std::uint8_t len7 = data[1] & 0x7F;
  std::size_t pos = 2;
  if (len7 == 126) {
    out.payload_len = (std::uint64_t{data[2]} << 8) | data[3];
    pos = 4;
    if (out.payload_len < 126) return HeaderStatus::bad_length;
  } else if (len7 == 127) {
    std::uint64_t len = 0;
    for (std::size_t i = 2; i < 10; ++i) len = (len << 8) | data[i];
    pos = 10;
    if ((len >> 63) != 0 || len <= 0xFFFF) return HeaderStatus::bad_length;
    out.payload_len = len;
  } else {
    out.payload_len = len7;
  }
  if (out.masked) {
    std::memcpy(out.mask.data(), data.data() + pos, 4);
  } else {
    out.mask = {};
  }
  return HeaderStatus::complete;
}

std::size_t encode_frame_header(std::uint8_t* out, Opcode opcode, std::uint64_t payload_len) {
  out[0] = static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(opcode));
  if (payload_len < 126) {
    out[1] = static_cast<std::uint8_t>(payload_len);
    return 2;
  }
  if (payload_len <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<std::uint8_t>(payload_len >> 8);
    out[3] = static_cast<std::uint8_t>(payload_len);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<std::uint8_t>(payload_len >> (56 - 8 * i));
  return 10;
}

std::uint8_t apply_mask(char* data, std::size_t size, const std::array<std::uint8_t, 4>& key,
                        std::uint8_t phase) {
  std::size_t i = 0;
  // Word at a time once aligned to the key's phase: the key rotated by
  // `phase` repeats every 4 bytes, so an 8-byte word of it works anywhere.
  if (size >= 16) {
    std::uint8_t rotated[8];
    for (int k = 0; k < 8; ++k) rotated[k] = key[(phase + k) & 3];
    std::uint64_t word_key;
    std::memcpy(&word_key, rotated, 8);
    for (; i + 8 <= size; i += 8) {
      std::uint64_t w;
      std::memcpy(&w, data + i, 8);
      w ^= word_key;
      std::memcpy(data + i, &w, 8);
    }
  }
  for (; i < size; ++i) data[i] = static_cast<char>(data[i] ^ key[(phase + i) & 3]);
  return static_cast<std::uint8_t>((phase + size) & 3);
}

bool is_valid_close_code(std::uint16_t code) {
  if (code >= 1000 && code <= 1003) return true;
  if (code >= 1007 && code <= 1014) return true;
  return code >= 3000 && code <= 4999;
}

bool parse_close_payload(std::string_view body, ClosePayload& out) {
  if (body.empty()) {
    out = ClosePayload{};
    return true;
  }
  if (body.size() < 2) return false;
  const auto code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(body[0]) << 8) |
                                               static_cast<std::uint8_t>(body[1]));
  if (!is_valid_close_code(code)) return false;
  const std::string_view reason = body.substr(2);
  if (!is_valid_utf8(reason)) return false;
  out.code = code;
  out.reason = reason;
  return true;
}

std::string make_close_payload(std::uint16_t code, std::string_view reason) {
  if (code == kCloseNoStatus) return {};
  constexpr std::size_t kMaxReason = kMaxControlPayload - 2;
  if (reason.size() > kMaxReason) {
    std::size_t cut = kMaxReason;
    // Back off over continuation bytes so the cut is at a code point start.
    while (cut > 0 && (static_cast<std::uint8_t>(reason[cut]) & 0xC0) == 0x80) --cut;
    reason = reason.substr(0, cut);
  }
  std::string body;
  body.reserve(2 + reason.size());
  body.push_back(static_cast<char>(code >> 8));
  body.push_back(static_cast<char>(code & 0xFF));
  body.append(reason);
  return body;
}

}  // namespace herald::net
