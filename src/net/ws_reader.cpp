// MessageReader: RFC 6455 section 5 receive rules for a server.
// Fast path: a single-frame text message or a control frame whose bytes are
// all in `input` is unmasked and returned in place. Slow path: a frame split
// across reads, or a fragmented message, is assembled in message_/control_.
#include "net/ws_reader.hpp"

#include <algorithm>
#include <cstring>

namespace herald::net {

namespace {
constexpr std::uint16_t kProtocolError = 1002;
constexpr std::uint16_t kUnsupportedData = 1003;
constexpr std::uint16_t kInvalidPayload = 1007;
constexpr std::uint16_t kMessageTooBig = 1009;

std::span<const std::uint8_t> as_bytes(std::span<char> s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
}  // namespace

void MessageReader::reset(std::size_t max_message_bytes) {
  message_.clear();
  max_message_ = max_message_bytes;
  remaining_ = 0;
  utf8_.reset();
  header_len_ = control_len_ = mask_phase_ = opcode_ = 0;
  fin_ = in_payload_ = in_message_ = clear_message_ = done_ = false;
}

ReadEvent MessageReader::fail(std::uint16_t code, const char* reason) {
  done_ = true;
  in_payload_ = in_message_ = false;
  header_len_ = 0;
  message_.clear();
  return {ReadEvent::Kind::error, code, reason};
}

HeaderStatus MessageReader::read_header(std::span<char>& input, FrameHeader& h) {
  if (header_len_ == 0) {
    const HeaderStatus st = decode_frame_header(as_bytes(input), h);
    if (st == HeaderStatus::complete) {
      input = input.subspan(h.size);
    } else if (st == HeaderStatus::need_more) {
      // Shorter than a header, so it fits in header_.
      std::memcpy(header_.data(), input.data(), input.size());
      header_len_ = static_cast<std::uint8_t>(input.size());
      input = {};
    }
    return st;
  }
  // Complete a header split across reads, a byte at a time (at most 14).
  for (;;) {
    const HeaderStatus st = decode_frame_header({header_.data(), header_len_}, h);
    if (st != HeaderStatus::need_more) {
      header_len_ = 0;
      return st;
    }
    if (input.empty()) return st;
    header_[header_len_++] = static_cast<std::uint8_t>(input.front());
    input = input.subspan(1);
  }
}

ReadEvent MessageReader::check_header(const FrameHeader& h) {
  if (h.rsv != 0) return fail(kProtocolError, "reserved bits set");
  if (!is_known_opcode(h.opcode)) return fail(kProtocolError, "unknown opcode");
  if (!h.masked) return fail(kProtocolError, "client frame not masked");
  if (is_control(h.opcode)) {
    if (!h.fin) return fail(kProtocolError, "fragmented control frame");
    if (h.payload_len > kMaxControlPayload) return fail(kProtocolError, "control frame too long");
    return {};
  }
  const bool continuation = h.opcode == static_cast<std::uint8_t>(Opcode::continuation);
  if (continuation && !in_message_) return fail(kProtocolError, "continuation without a message");
  if (!continuation && in_message_) return fail(kProtocolError, "new message inside a fragmented one");
  if (h.opcode == static_cast<std::uint8_t>(Opcode::binary)) {
    return fail(kUnsupportedData, "binary messages are not supported");
  }
  const std::uint64_t so_far = continuation ? message_.size() : 0;
  if (h.payload_len > max_message_ || so_far + h.payload_len > max_message_) {
    return fail(kMessageTooBig, "message too big");
  }
  return {};
}

ReadEvent MessageReader::control_event(std::string_view payload) {
  switch (static_cast<Opcode>(opcode_)) {
    case Opcode::ping:
      return {ReadEvent::Kind::ping, 0, payload};
    case Opcode::pong:
      return {ReadEvent::Kind::pong, 0, payload};
    default: {
      ClosePayload close;
      if (!parse_close_payload(payload, close)) return fail(kProtocolError, "invalid close frame");
      done_ = true;
      return {ReadEvent::Kind::close, close.code, close.reason};
    }
  }
}

ReadEvent MessageReader::next(std::span<char>& input) {
  if (clear_message_) {
    message_.clear();
    clear_message_ = false;
  }
  while (!done_) {
    if (!in_payload_) {
      FrameHeader h;
      const HeaderStatus st = read_header(input, h);
      if (st == HeaderStatus::need_more) return {};
      if (st == HeaderStatus::bad_length) return fail(kProtocolError, "bad frame length");
      if (ReadEvent err = check_header(h); err.kind == ReadEvent::Kind::error) return err;
      opcode_ = h.opcode;
      fin_ = h.fin;
      mask_ = h.mask;
      mask_phase_ = 0;
      remaining_ = h.payload_len;
      control_len_ = 0;

      const bool control = is_control(opcode_);
      const bool single_text = fin_ && opcode_ == static_cast<std::uint8_t>(Opcode::text);
      if ((control || single_text) && remaining_ <= input.size()) {
        // Fast path: the whole payload is here, hand it out in place.
        const auto n = static_cast<std::size_t>(remaining_);
        char* p = input.data();
        apply_mask(p, n, mask_, 0);
        input = input.subspan(n);
        const std::string_view payload(p, n);
        if (control) return control_event(payload);
        if (!is_valid_utf8(payload)) return fail(kInvalidPayload, "invalid UTF-8");
        return {ReadEvent::Kind::text, 0, payload};
      }
      in_payload_ = true;
      if (!control) {
        if (opcode_ != static_cast<std::uint8_t>(Opcode::continuation)) {
          in_message_ = true;
          utf8_.reset();
          message_.clear();
        }
        message_.reserve(message_.size() + static_cast<std::size_t>(remaining_));
      }
    }

    const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size()));
    if (take > 0) {
      char* p = input.data();
      mask_phase_ = apply_mask(p, take, mask_, mask_phase_);
      input = input.subspan(take);
      remaining_ -= take;
      if (is_control(opcode_)) {
        std::memcpy(control_.data() + control_len_, p, take);
        control_len_ = static_cast<std::uint8_t>(control_len_ + take);
      } else {
        // Fail fast: a bad byte is reported when it arrives, not at the end.
        if (!utf8_.feed({p, take})) return fail(kInvalidPayload, "invalid UTF-8");
        message_.append(p, take);
      }
    }
    if (remaining_ > 0) return {};
    in_payload_ = false;
    if (is_control(opcode_)) return control_event({control_.data(), control_len_});
    if (fin_) {
      if (!utf8_.complete()) return fail(kInvalidPayload, "invalid UTF-8");
      in_message_ = false;
      clear_message_ = true;
      return {ReadEvent::Kind::text, 0, message_};
    }
  }
  input = {};
  return {};
}

}  // namespace herald::net
