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
// Built with HERALD_FUZZ_REPLAY_MAIN, the file is a plain program that runs
// the built-in seeds (and any files named on the command line) once; ctest
// runs it so this code path always compiles and runs.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
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

#ifdef HERALD_FUZZ_REPLAY_MAIN
namespace {
// A masked client frame, for the seeds.
std::string frame(std::uint8_t b0, const std::string& payload) {
  const std::uint8_t key[4] = {0x12, 0x34, 0x56, 0x78};
  std::string out(1, static_cast<char>(b0));
  if (payload.size() < 126) {
    out.push_back(static_cast<char>(0x80 | payload.size()));
  } else {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(payload.size() >> 8));
    out.push_back(static_cast<char>(payload.size() & 0xFF));
  }
  out.append(reinterpret_cast<const char*>(key), 4);
  for (std::size_t i = 0; i < payload.size(); ++i) out.push_back(static_cast<char>(payload[i] ^ key[i & 3]));
  return out;
}
}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> seeds = {
      std::string("\x05\x10", 2) + frame(0x81, "{\"type\":\"ping\"}"),
      std::string("\x03\x40", 2) + frame(0x01, "frag") + frame(0x89, "p") + frame(0x80, "ment"),
      std::string("\x01\x02", 2) + frame(0x81, std::string(300, 'x')),       // over the limit
      std::string("\x07\xff", 2) + frame(0x81, "\xce\xba\xe1\xbd\xb9\xcf\x83"),
      std::string("\x02\x10", 2) + frame(0x81, "\xed\xa0\x80"),             // surrogate
      std::string("\x09\x10", 2) + frame(0x88, std::string("\x03\xe8", 2) + "bye") + frame(0x81, "x"),
      std::string("\x04\x10", 2) + frame(0xC1, "rsv") + frame(0x82, "bin"),
      std::string("\x00\x00\x81\x7f\xff\xff\xff\xff\xff\xff\xff\xff", 12),  // bad 64-bit length
  };
  for (const auto& s : seeds) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  }
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    const std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  }
  std::printf("ws_frame_fuzz: %zu seeds + %d files replayed\n", seeds.size(), argc - 1);
  return 0;
}
#endif
