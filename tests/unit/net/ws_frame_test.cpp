// Frame header codec, masking, close payloads, and the accept key.
#include "net/ws_frame.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net/ws_handshake.hpp"

namespace herald::net {
namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(WsFrame, DecodesRfcMaskedHelloExample) {
  // RFC 6455 5.7: a single-frame masked text message "Hello".
  const std::string wire("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
  FrameHeader h;
  ASSERT_EQ(decode_frame_header(bytes(wire), h), HeaderStatus::complete);
  EXPECT_TRUE(h.fin);
  EXPECT_EQ(h.opcode, 0x1);
  EXPECT_TRUE(h.masked);
  EXPECT_EQ(h.rsv, 0);
  EXPECT_EQ(h.payload_len, 5u);
  EXPECT_EQ(h.size, 6);
  std::string payload = wire.substr(6);
  apply_mask(payload.data(), payload.size(), h.mask, 0);
  EXPECT_EQ(payload, "Hello");
}

TEST(WsFrame, NeedsMoreUntilTheWholeHeaderIsThere) {
  const std::string wire("\x81\xff\x00\x00\x00\x00\x00\x01\x00\x00\xaa\xbb\xcc\xdd", 14);
  for (std::size_t n = 0; n < wire.size(); ++n) {
    FrameHeader h;
    EXPECT_EQ(decode_frame_header(bytes(wire.substr(0, n)), h), HeaderStatus::need_more) << n;
  }
  FrameHeader h;
  ASSERT_EQ(decode_frame_header(bytes(wire), h), HeaderStatus::complete);
  EXPECT_EQ(h.payload_len, 65536u);
  EXPECT_EQ(h.size, 14);
  EXPECT_EQ(h.mask[0], 0xaa);
  EXPECT_EQ(h.mask[3], 0xdd);
}

TEST(WsFrame, RejectsNonMinimalAndTopBitLengths) {
  FrameHeader h;
  EXPECT_EQ(decode_frame_header(bytes(std::string("\x81\xfe\x00\x7d\0\0\0\0", 8)), h),
            HeaderStatus::bad_length);  // 125 in 16 bits
  EXPECT_EQ(decode_frame_header(bytes(std::string("\x81\xff\0\0\0\0\0\0\xff\xff\0\0\0\0", 14)), h),
            HeaderStatus::bad_length);  // 65535 in 64 bits
  EXPECT_EQ(decode_frame_header(bytes(std::string("\x81\xff\x80\0\0\0\0\0\0\0\0\0\0\0", 14)), h),
            HeaderStatus::bad_length);  // top bit set
}

TEST(WsFrame, ReportsRsvAndRawOpcode) {
  FrameHeader h;
  ASSERT_EQ(decode_frame_header(bytes(std::string("\x7b\x80\0\0\0\0", 6)), h), HeaderStatus::complete);
  EXPECT_FALSE(h.fin);
  EXPECT_EQ(h.rsv, 7);
  EXPECT_EQ(h.opcode, 0xB);
  EXPECT_FALSE(is_known_opcode(h.opcode));
  EXPECT_TRUE(is_control(h.opcode));
}

TEST(WsFrame, EncodesServerHeadersOf2_4_10Bytes) {
  std::uint8_t out[kMaxServerHeaderBytes];
  struct Case {
    std::uint64_t len;
    std::size_t size;
  };
  for (Case c : {Case{0, 2}, Case{125, 2}, Case{126, 4}, Case{65535, 4}, Case{65536, 10},
                 Case{(1ULL << 40) + 3, 10}}) {
    ASSERT_EQ(encode_frame_header(out, Opcode::text, c.len), c.size) << c.len;
    EXPECT_EQ(out[0], 0x81);
    EXPECT_EQ(out[1] & 0x80, 0) << "server frames are unmasked";
    // Round trip through the decoder (which accepts unmasked headers).
    FrameHeader h;
    ASSERT_EQ(decode_frame_header({out, c.size}, h), HeaderStatus::complete);
    EXPECT_EQ(h.payload_len, c.len);
    EXPECT_EQ(h.size, c.size);
  }
  ASSERT_EQ(encode_frame_header(out, Opcode::close, 2), 2u);
  EXPECT_EQ(out[0], 0x88);
}

TEST(WsFrame, MaskingResumesAtAnyPhase) {
  const std::array<std::uint8_t, 4> key{0x11, 0x22, 0x33, 0x44};
  std::string plain;
  for (int i = 0; i < 100; ++i) plain.push_back(static_cast<char>(i));
  std::string whole = plain;
  apply_mask(whole.data(), whole.size(), key, 0);
  for (std::size_t split = 0; split <= plain.size(); ++split) {
    std::string pieces = plain;
    const std::uint8_t phase = apply_mask(pieces.data(), split, key, 0);
    apply_mask(pieces.data() + split, pieces.size() - split, key, phase);
    ASSERT_EQ(pieces, whole) << split;
  }
  apply_mask(whole.data(), whole.size(), key, 0);
  EXPECT_EQ(whole, plain);
}

TEST(WsFrame, CloseCodes) {
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999}) {
    EXPECT_TRUE(is_valid_close_code(static_cast<std::uint16_t>(code))) << code;
  }
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    EXPECT_FALSE(is_valid_close_code(static_cast<std::uint16_t>(code))) << code;
  }
}

TEST(WsFrame, ClosePayloadParseAndBuild) {
  ClosePayload cp;
  ASSERT_TRUE(parse_close_payload("", cp));
  EXPECT_EQ(cp.code, kCloseNoStatus);
  const std::string body = make_close_payload(4008, "heartbeat timeout");
  ASSERT_TRUE(parse_close_payload(body, cp));
  EXPECT_EQ(cp.code, 4008);
  EXPECT_EQ(cp.reason, "heartbeat timeout");
  EXPECT_FALSE(parse_close_payload(std::string("\x03", 1), cp));
  EXPECT_FALSE(parse_close_payload(std::string("\x03\xed", 2), cp));            // 1005
  EXPECT_FALSE(parse_close_payload(std::string("\x03\xe8\xc3", 3), cp));        // truncated UTF-8
  EXPECT_EQ(make_close_payload(kCloseNoStatus, "ignored"), "");
}

TEST(WsFrame, LongCloseReasonIsCutAtCodePointBoundary) {
  std::string reason;
  for (int i = 0; i < 60; ++i) reason += "\xc3\xa9";  // é x 60 = 120 bytes
  reason = "x" + reason + reason;                       // 241 bytes, odd offset
  const std::string body = make_close_payload(1000, reason);
  EXPECT_LE(body.size(), kMaxControlPayload);
  ClosePayload cp;
  EXPECT_TRUE(parse_close_payload(body, cp));  // still valid UTF-8
  EXPECT_EQ(cp.code, 1000);
}

TEST(WsHandshake, AcceptKeyMatchesRfcExample) {
  EXPECT_EQ(websocket_accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_EQ(websocket_accept_key("x3JJHMbDL1EzLkh9GBhXDw=="), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

}  // namespace
}  // namespace herald::net
