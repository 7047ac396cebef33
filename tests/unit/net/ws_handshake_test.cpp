// Sec-WebSocket-Key validation (RFC 6455 4.1, 4.2.1); the accept value is
// tested with the frame codec (ws_frame_test.cpp).
#include <gtest/gtest.h>

#include "net/ws_handshake.hpp"

namespace herald::net {
namespace {

TEST(WsHandshake, KeyOfSixteenBytesIsValid) {
  EXPECT_TRUE(valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ=="));  // "the sample nonce"
  EXPECT_TRUE(valid_websocket_key("AAAAAAAAAAAAAAAAAAAAAA=="));
  EXPECT_TRUE(valid_websocket_key("/+/+/+/+/+/+/+/+/+/+/w=="));
}

TEST(WsHandshake, KeyOfAnythingElseIsInvalid) {
  for (const char* key : {
           "",
           "x",
           "dGhlIHNhbXBsZSBub25jZQ",     // padding missing
           "dGhlIHNhbXBsZSBub25jZQ=",    // half the padding
           "dGhlIHNhbXBsZSBub25jZQ===",  // too much
           "dGhlIHNhbXBsZSBub25jZXM=",   // 17 bytes
           "dGhlIHNhbXBsZSBub25j",       // 15 bytes, unpadded
           "dGhlIHNhbXBsZSBub25jZQ==dGhl",
           "dGhlIHNhbXBsZSBub25j-_==",  // URL-safe alphabet
           "dGhlIHNhbXBsZSBub25j ZQ=",  // a blank inside
           "dGhlIHNhbXBsZSBub25jZ===",  // '=' inside the 22 characters
           "dGhlIHNhbXBsZSBub25jZQ==\n",
       }) {
    EXPECT_FALSE(valid_websocket_key(key)) << '"' << key << '"';
  }
}

}  // namespace
}  // namespace herald::net
