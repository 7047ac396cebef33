#pragma once
// Incremental reader of client->server WebSocket traffic: bytes in, whole
// events out (a complete text message, a ping, a pong, a close, or the close
// code the connection must fail with). Pure: no I/O, no clock.
//
// Invariants
// - Input is unmasked in place, so a text message that sits whole in the
//   caller's buffer is handed out as a view of that buffer: no copy.
// - Only what straddles two reads is kept here: up to 14 header bytes, up
//   to 125 control payload bytes, and the unmasked text of an unfinished
//   message. idle() says when nothing is kept, so the owner can drop the
//   reader between reads and an idle connection holds no buffer at all.
// - Limits are enforced from the header, before any payload is read: a
//   frame that would take the message over max_message_bytes fails at once
//   with 1009, whatever length it announces.
// - After an error or a close frame the reader ignores all further input.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "net/utf8.hpp"
#include "net/ws_frame.hpp"

namespace herald::net {

struct ReadEvent {
  enum class Kind : std::uint8_t { need_more, text, ping, pong, close, error };
  Kind kind = Kind::need_more;
  // close: the peer's code (1005 for an empty close frame);
  // error: the code this side must close with (1002, 1003, 1007, 1009).
  std::uint16_t code = 0;
  // text: the message; ping/pong: the payload; close: the reason;
  // error: a short reason for our close frame. Valid until the next call.
  std::string_view data;
};

class MessageReader {
 public:
  explicit MessageReader(std::size_t max_message_bytes = 64 * 1024) { reset(max_message_bytes); }

  // Back to the initial state, keeping allocated capacity for reuse.
  void reset(std::size_t max_message_bytes);

  // Consumes bytes from the front of `input` (unmasking them in place) up
  // to and including the next event, and returns it. need_more means all of
  // `input` was consumed without completing an event.
  ReadEvent next(std::span<char>& input);

  // True when no partial frame or message is held.
  bool idle() const { return !in_payload_ && header_len_ == 0 && !in_message_; }

 private:
  ReadEvent fail(std::uint16_t code, const char* reason);
  ReadEvent check_header(const FrameHeader& h);
  ReadEvent control_event(std::string_view payload);
  HeaderStatus read_header(std::span<char>& input, FrameHeader& h);

  std::string message_;            // unmasked text of the message in progress
  std::size_t max_message_ = 0;
  std::uint64_t remaining_ = 0;    // payload bytes of the current frame not yet read
  Utf8Validator utf8_;             // over the message in progress
  std::array<std::uint8_t, 4> mask_{};
  std::array<std::uint8_t, kMaxClientHeaderBytes> header_{};
  std::array<char, kMaxControlPayload> control_{};
  std::uint8_t header_len_ = 0;    // header bytes carried over from a previous read
  std::uint8_t control_len_ = 0;
  std::uint8_t mask_phase_ = 0;
  std::uint8_t opcode_ = 0;        // of the frame being read
  bool fin_ = false;
  bool in_payload_ = false;        // a frame header was read, its payload not yet all
  bool in_message_ = false;        // a fragmented text message is open
  bool clear_message_ = false;     // message_ was handed out; clear it on the next call
  bool done_ = false;              // error or close seen: ignore the rest
};

}  // namespace herald::net
