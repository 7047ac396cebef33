#pragma once
// RFC 6455 frame codec, pure (no I/O): decoding of client->server frame
// headers, encoding of server->client headers, masking, close payloads.
//
// Server frames are never masked, so their header is 2, 4 or 10 bytes.
// Client frame headers are 2..14 bytes (extended length, then the mask key).
// Lengths are checked for minimal encoding and a clear top bit, as the RFC
// requires; everything else (RSV, opcodes, masking policy) is validated by
// the MessageReader, which knows the connection's state.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace herald::net {

enum class Opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

constexpr bool is_control(std::uint8_t opcode) { return (opcode & 0x8) != 0; }
constexpr bool is_known_opcode(std::uint8_t opcode) {
  return opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xA);
}

constexpr std::size_t kMaxClientHeaderBytes = 14;
constexpr std::size_t kMaxServerHeaderBytes = 10;
constexpr std::size_t kMaxControlPayload = 125;

struct FrameHeader {
  bool fin = false;
  std::uint8_t rsv = 0;     // the three RSV bits, shifted down (0..7)
  std::uint8_t opcode = 0;  // raw, may be a reserved value
  bool masked = false;
  std::uint64_t payload_len = 0;
  std::array<std::uint8_t, 4> mask{};
  std::uint8_t size = 0;    // header bytes, 2..14
};

// Bytes the whole header takes, known from its first two bytes.
constexpr std::size_t frame_header_size(std::uint8_t byte1) {
  const std::uint8_t len7 = byte1 & 0x7F;
  return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((byte1 & 0x80) ? 4 : 0);
}

enum class HeaderStatus { complete, need_more, bad_length };

// Decodes the header at the front of `data` into `out`. need_more when
// `data` is shorter than the header; bad_length for a non-minimal length
// encoding or a 64-bit length with the top bit set.
HeaderStatus decode_frame_header(std::span<const std::uint8_t> data, FrameHeader& out);

// Writes a server frame header (FIN set, unmasked) into `out`; returns its size.
std::size_t encode_frame_header(std::uint8_t* out, Opcode opcode, std::uint64_t payload_len);

// XORs `data` with the mask key in place, starting at key byte `phase`
// (0..3); returns the phase after the last byte, so a payload can be
// unmasked across several reads.
std::uint8_t apply_mask(char* data, std::size_t size, const std::array<std::uint8_t, 4>& key,
                        std::uint8_t phase);

// Close codes a peer may send (RFC 6455 7.4 and the IANA registry):
// 1000-1003, 1007-1014, 3000-4999. 1005/1006/1015 are never on the wire.
bool is_valid_close_code(std::uint16_t code);

// Status code 1005: what a close frame without a body reports.
constexpr std::uint16_t kCloseNoStatus = 1005;
constexpr std::uint16_t kCloseAbnormal = 1006;

struct ClosePayload {
  std::uint16_t code = kCloseNoStatus;
  std::string_view reason;
};

// Parses and validates a received close frame body: empty, or a valid code
// followed by a UTF-8 reason. False when the body is malformed.
bool parse_close_payload(std::string_view body, ClosePayload& out);

// Builds a close frame body: the code, then `reason` cut to fit the 125-byte
// control limit at a UTF-8 boundary. Code 1005 gives an empty body.
std::string make_close_payload(std::uint16_t code, std::string_view reason);

}  // namespace herald::net
