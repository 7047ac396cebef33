#pragma once
// The seam between the WebSocket transport and everything above it.
//
// A Session is one established WebSocket connection, pinned to one worker
// thread for life. Everything outside net/ sees only this interface, so the
// transport under it (Beast's websocket::stream today, a lean frame layer
// later) can change without anyone noticing.
//
// Threading contract: every method of Session, and every callback of
// SessionObserver, runs on the session's own worker thread. Code on another
// thread posts to that worker first (util::WorkerPool::post).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "util/ids.hpp"

namespace herald::net {

// A serialized server message, built once and shared by every recipient.
using Frame = std::shared_ptr<const std::string>;
inline Frame make_frame(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

// Close codes of PROTOCOL.md section 2.
enum class CloseCode : std::uint16_t {
  normal = 1000,
  going_away = 1001,
  unsupported_data = 1003,   // binary frame
  invalid_payload = 1007,    // text that is not UTF-8
  policy_violation = 1008,   // repeated abuse after rate limiting
  message_too_big = 1009,
  internal_error = 1011,
  invalid_token = 4001,
  token_expired = 4003,
  heartbeat_timeout = 4008,
  too_many_connections = 4009,
  slow_consumer = 4010,
};

// What happened to a frame handed to Session::send.
enum class SendResult {
  queued,    // accepted; it will be written in order
  closed,    // the session is closing or closed; frame discarded
  overflow,  // the outgoing queue was full: the session is now closing with 4010
};

// Per-connection transport limits (PROTOCOL.md section 7).
struct TransportLimits {
  std::size_t max_message_bytes = 64 * 1024;
  std::size_t max_queue_bytes = 1024 * 1024;
  std::size_t max_queue_messages = 1000;
  int heartbeat_interval_s = 30;  // send a ping frame after this much silence
  int heartbeat_timeout_s = 75;   // close 4008 after this much silence
};

class Session {
 public:
  virtual ~Session() = default;
  virtual ConnectionId id() const = 0;
  virtual unsigned worker() const = 0;
  // Queue a text frame. Never blocks; see SendResult.
  virtual SendResult send(const Frame& frame) = 0;
  // Start the closing handshake with this code. Idempotent: the first wins.
  virtual void close(CloseCode code, std::string_view reason) = 0;
  virtual bool is_open() const = 0;
  // True while the outgoing queue holds half its limit (in frames or in
  // bytes) or more: a replay sends only below it, so it can never overflow
  // the queue itself (PROTOCOL.md 7).
  virtual bool queue_half_full() const { return false; }
};

// Receives what arrives on one session. Returned by SessionHandler::on_open.
class SessionObserver {
 public:
  virtual ~SessionObserver() = default;
  // One complete, size-checked, UTF-8-valid text message.
  virtual void on_text(std::string_view text) = 0;
  // Called exactly once, after the socket is gone. `code` is the close code
  // the session ended with (ours or the peer's; 1006 when the TCP connection
  // dropped without a close frame).
  virtual void on_closed(std::uint16_t code) = 0;
};

// What the HTTP upgrade request told us, handed to the handler at open.
struct UpgradeInfo {
  std::string token;           // from ?token= or Authorization: Bearer; may be empty
  std::string since;           // ?since=, raw; may be empty
  std::string remote_address;  // for logs and throttles
};

// Implemented by the real-time layer: decides what a new session is.
class SessionHandler {
 public:
  virtual ~SessionHandler() = default;
  // Runs on the session's worker right after the handshake. The handler may
  // close the session at once (bad token) and still return an observer.
  virtual std::shared_ptr<SessionObserver> on_open(std::shared_ptr<Session> session,
                                                   UpgradeInfo info) = 0;
};

}  // namespace herald::net
