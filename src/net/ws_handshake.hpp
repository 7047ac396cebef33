#pragma once
// The pieces of the WebSocket opening handshake that are ours (RFC 6455
// section 4.2): checking Sec-WebSocket-Key and computing Sec-WebSocket-Accept
// from it. The HTTP side of the upgrade lives in http_session.cpp.
#include <string>
#include <string_view>

namespace herald::net {

// The only version this server speaks; a request naming another is refused
// with this value in its own Sec-WebSocket-Version header (RFC 6455 4.4).
inline constexpr std::string_view kWebSocketVersion = "13";

// True when the key is the base64 encoding of exactly 16 bytes (RFC 6455
// 4.1, 4.2.1 item 5): 22 characters of the base64 alphabet, then "==".
// Anything else (empty, other lengths, URL-safe alphabet, missing padding)
// is a malformed handshake.
bool valid_websocket_key(std::string_view sec_websocket_key);

// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
// The key is used as sent (the caller trims surrounding whitespace).
std::string websocket_accept_key(std::string_view sec_websocket_key);

}  // namespace herald::net
