#pragma once
// The one computation of the WebSocket opening handshake that is ours
// (RFC 6455 section 4.2.2): Sec-WebSocket-Accept from Sec-WebSocket-Key.
// The HTTP side of the upgrade lives with the lead's HTTP session.
#include <string>
#include <string_view>

namespace herald::net {

// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
// The key is used as sent (the caller trims surrounding whitespace).
std::string websocket_accept_key(std::string_view sec_websocket_key);

}  // namespace herald::net
