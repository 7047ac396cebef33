// MessageReader, pure: events from byte streams, however they are split.
#include "net/ws_reader.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "ws_test_support.hpp"  // client_frame, client_header_only, close_body

namespace herald::net {
namespace {

using test::client_frame;
using test::client_header_only;
using test::close_body;

struct Ev {
  ReadEvent::Kind kind;
  std::uint16_t code;
  std::string data;
  bool operator==(const Ev&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Ev& e) {
  return os << "{kind " << static_cast<int>(e.kind) << ", code " << e.code << ", " << e.data.size()
            << " bytes}";
}

// Feeds `wire` in chunks of the given sizes (the rest in one), moving the
// reader between chunks as WsConnection does, and collects the events.
std::vector<Ev> run(const std::string& wire, const std::vector<std::size_t>& chunks,
                    std::size_t max = 64 * 1024) {
  std::string copy = wire;  // unmasked in place
  std::vector<Ev> out;
  MessageReader reader(max);
  std::size_t pos = 0, ci = 0;
  while (pos < copy.size()) {
    const std::size_t n = ci < chunks.size() ? std::min(chunks[ci++], copy.size() - pos) : copy.size() - pos;
    std::span<char> in(copy.data() + pos, n);
    pos += n;
    for (;;) {
      ReadEvent ev = reader.next(in);
      if (ev.kind == ReadEvent::Kind::need_more) break;
      out.push_back({ev.kind, ev.code, std::string(ev.data)});
    }
    EXPECT_TRUE(in.empty());
    MessageReader moved(std::move(reader));  // state must survive a move
    reader = std::move(moved);
  }
  return out;
}

std::vector<Ev> run_whole(const std::string& wire, std::size_t max = 64 * 1024) {
  return run(wire, {}, max);
}

using K = ReadEvent::Kind;

TEST(WsReader, SingleTextFrame) {
  EXPECT_EQ(run_whole(client_frame(1, "hello")), (std::vector<Ev>{{K::text, 0, "hello"}}));
}

TEST(WsReader, ControlFramesAndFragments) {
  const std::string wire = client_frame(1, "ab", false) + client_frame(9, "ping!") +
                           client_frame(0, "cd", false) + client_frame(0xA, "") +
                           client_frame(0, "ef") + client_frame(8, close_body(1001, "bye")) +
                           client_frame(1, "ignored after close");
  const std::vector<Ev> expected = {{K::ping, 0, "ping!"},
                                    {K::pong, 0, ""},
                                    {K::text, 0, "abcdef"},
                                    {K::close, 1001, "bye"}};
  EXPECT_EQ(run_whole(wire), expected);
  // Every split position, and byte by byte, gives the same events.
  for (std::size_t split = 0; split < wire.size(); ++split) {
    ASSERT_EQ(run(wire, {split}), expected) << split;
  }
  EXPECT_EQ(run(wire, std::vector<std::size_t>(wire.size(), 1)), expected);
}

TEST(WsReader, RandomChunkingOfAStreamIsTransparent) {
  std::mt19937 rng(42);
  std::string wire;
  std::vector<Ev> expected;
  for (int i = 0; i < 300; ++i) {
    const std::size_t len = rng() % 3 == 0 ? rng() % 70000 % 40000 : rng() % 200;
    std::string text(len, static_cast<char>('a' + i % 26));
    if (rng() % 4 == 0 && len > 2) {
      const std::size_t cut = rng() % len;
      wire += client_frame(1, text.substr(0, cut), false);
      if (rng() % 2) {
        wire += client_frame(9, "p" + std::to_string(i));
        expected.push_back({K::ping, 0, "p" + std::to_string(i)});
      }
      wire += client_frame(0, text.substr(cut));
    } else {
      wire += client_frame(1, text);
    }
    expected.push_back({K::text, 0, text});
  }
  for (int round = 0; round < 20; ++round) {
    std::vector<std::size_t> chunks;
    for (std::size_t total = 0; total < wire.size();) {
      chunks.push_back(1 + rng() % (round < 10 ? 20 : 70000));
      total += chunks.back();
    }
    ASSERT_EQ(run(wire, chunks), expected) << "round " << round;
  }
}

TEST(WsReader, ErrorsCarryTheirCloseCode) {
  struct Case {
    std::string wire;
    std::uint16_t code;
  };
  const std::vector<Case> cases = {
      {client_frame(1, "x", true, 1), 1002},                        // RSV1
      {client_frame(3, "x"), 1002},                                 // reserved data opcode
      {client_frame(0xB, "x"), 1002},                               // reserved control opcode
      {std::string("\x81\x01x", 3), 1002},                          // unmasked
      {client_frame(9, std::string(126, 'p')), 1002},               // long control
      {client_frame(9, "x", false), 1002},                          // fragmented control
      {client_frame(0, "x"), 1002},                                 // orphan continuation
      {client_frame(1, "a", false) + client_frame(1, "b"), 1002},   // text inside text
      {client_frame(8, "\x01"), 1002},                              // 1-byte close body
      {client_frame(8, close_body(1006)), 1002},                    // reserved close code
      {client_frame(2, "bin"), 1003},                               // binary
      {client_frame(1, "\xc0\xaf"), 1007},                          // overlong
      {client_frame(1, "a\xe2\x82", false) + client_frame(0, "b"), 1007},  // bad continuation
      {client_frame(1, "a\xe2\x82", false) + client_frame(0, ""), 1007},   // truncated at end
      {client_header_only(1, 100000), 1009},                        // too big, no payload
      {client_frame(1, std::string(40000, 'a'), false) + client_header_only(0, 30000), 1009},
  };
  for (const auto& c : cases) {
    const auto events = run_whole(c.wire);
    ASSERT_FALSE(events.empty()) << testing::PrintToString(c.wire.substr(0, 20));
    EXPECT_EQ(events.back().kind, K::error) << testing::PrintToString(c.wire.substr(0, 20));
    EXPECT_EQ(events.back().code, c.code) << testing::PrintToString(c.wire.substr(0, 20));
    EXPECT_EQ(events.size(), 1u);
  }
}

TEST(WsReader, AfterAnErrorInputIsIgnored) {
  std::string wire = client_frame(2, "bin") + client_frame(1, "text");
  MessageReader reader;
  std::span<char> in(wire.data(), wire.size());
  EXPECT_EQ(reader.next(in).kind, K::error);
  EXPECT_EQ(reader.next(in).kind, K::need_more);
  EXPECT_TRUE(in.empty());
}

TEST(WsReader, IdleOnlyBetweenMessages) {
  std::string wire = client_frame(1, "abc", false) + client_frame(0, "def");
  MessageReader reader;
  EXPECT_TRUE(reader.idle());
  std::span<char> in(wire.data(), 3);  // half a header
  EXPECT_EQ(reader.next(in).kind, K::need_more);
  EXPECT_FALSE(reader.idle());
  in = std::span<char>(wire.data() + 3, 6);  // rest of frame 1 (header 6 + 3)
  EXPECT_EQ(reader.next(in).kind, K::need_more);
  EXPECT_FALSE(reader.idle());  // a fragmented message is open
  in = std::span<char>(wire.data() + 9, wire.size() - 9);
  const ReadEvent ev = reader.next(in);
  EXPECT_EQ(ev.kind, K::text);
  EXPECT_EQ(ev.data, "abcdef");
  EXPECT_TRUE(reader.idle());
}

TEST(WsReader, WholeMessageInBufferIsReturnedInPlace) {
  std::string wire = client_frame(1, "zero copy");
  MessageReader reader;
  std::span<char> in(wire.data(), wire.size());
  const ReadEvent ev = reader.next(in);
  ASSERT_EQ(ev.kind, K::text);
  EXPECT_EQ(ev.data.data(), wire.data() + 6);  // a view of the input, unmasked there
}

}  // namespace
}  // namespace herald::net
