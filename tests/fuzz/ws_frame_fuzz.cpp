// libFuzzer target for the WebSocket receive path (net::MessageReader, which
// drives the frame header decoder, unmasking and UTF-8 validation).
//
// Input layout: byte 0 picks the chunking (how the bytes are split across
// "reads"), byte 1 the message size limit, the rest is the client byte
// stream. Oracles, beyond "no crash / no sanitizer report":
// - splitting the stream differently never changes the events;
// - a text event is valid UTF-8 and within the limit; control payloads are
//   at most 125 bytes; an error carries a close code we send; nothing
//   follows an error or a close.
// Seeds: corpus/ws_frame/ (written by make_corpus.py); ctest replays them
// through ws_frame_fuzz_replay (replay_main.cpp).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "net/utf8.hpp"
#include "net/ws_reader.hpp"

namespace {

using herald::net::MessageReader;
using herald::net::ReadEvent;

struct Event {
  ReadEvent::Kind kind;
  std::uint16_t code;
  std::string data;
  bool operator==(const Event&) const = default;
};

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "ws_frame_fuzz: invariant broken: %s\n", what);
    std::abort();
  }
}

// Runs the stream through a reader, split into chunks of 1..step bytes
// (step 0: one chunk), moving the reader between chunks as the connection does.
std::vector<Event> run(std::string stream, std::size_t step, std::size_t max) {
  std::vector<Event> events;
  MessageReader reader(max);
  bool ended = false;
  std::size_t pos = 0, round = 0;
  while (pos < stream.size()) {
    std::size_t n = stream.size() - pos;
    if (step > 0) n = std::min(n, 1 + (round++ * 7919) % step);
    std::span<char> in(stream.data() + pos, n);
    pos += n;
    for (;;) {
      const ReadEvent ev = reader.next(in);
      if (ev.kind == ReadEvent::Kind::need_more) break;
      check(!ended, "event after an error or a close");
      switch (ev.kind) {
        case ReadEvent::Kind::text:
          check(ev.data.size() <= max, "text over the limit");
          check(herald::net::is_valid_utf8(ev.data), "text not UTF-8");
          break;
        case ReadEvent::Kind::ping:
        case ReadEvent::Kind::pong:
          check(ev.data.size() <= 125, "control payload over 125");
          break;
        case ReadEvent::Kind::close:
          ended = true;
          break;
        case ReadEvent::Kind::error:
          check(ev.code == 1002 || ev.code == 1003 || ev.code == 1007 || ev.code == 1009,
                "unexpected error code");
          ended = true;
          break;
        default:
          break;
      }
      events.push_back({ev.kind, ev.code, std::string(ev.data)});
    }
    check(in.empty(), "need_more left input unconsumed");
    MessageReader moved(std::move(reader));
    reader = std::move(moved);
  }
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t step = data[0] % 32;
  const std::size_t max = 16 + static_cast<std::size_t>(data[1]) * 64;  // 16 .. ~16 KiB
  const std::string stream(reinterpret_cast<const char*>(data + 2), size - 2);
  const std::vector<Event> whole = run(stream, 0, max);
  if (step > 0) check(run(stream, step, max) == whole, "chunking changed the events");
  check(run(stream, 1, max) == whole, "byte-by-byte changed the events");
  return 0;
}
