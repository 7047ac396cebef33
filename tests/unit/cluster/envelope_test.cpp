// cluster::encode_envelope / decode_envelope: every Target field and the
// frame survive the trip byte for byte (binary frames, long contexts), and
// a payload that is cut short, of another version or of an unknown kind
// is refused whole.
#include <gtest/gtest.h>

#include "cluster/envelope.hpp"

using namespace herald;
using namespace herald::cluster;

namespace {
Target sample() {
  Target t = Target::to_context("room:42", UserId{7}, "typing");
  t.user = UserId{123456789012};
  t.exclude_connection = ConnectionId{0xfedcba9876543210ull};
  t.presence_seq = 99;
  t.mailbox_seq = 1ull << 40;
  return t;
}
}  // namespace

TEST(Envelope, EveryFieldAndTheFrameSurviveTheTrip) {
  std::string frame = std::string("{\"type\":\"typing\"}") + '\0' + "\xff tail";
  std::string wire = encode_envelope(0xabcdef, sample(), frame);
  auto e = decode_envelope(wire);
  ASSERT_TRUE(e);
  Target t = e->routed();
  EXPECT_EQ(e->origin, 0xabcdefu);
  EXPECT_EQ(t.kind, Target::Kind::context);
  EXPECT_EQ(raw(t.user), 123456789012);
  EXPECT_EQ(raw(t.exclude_user), 7);
  EXPECT_EQ(raw(t.exclude_connection), 0xfedcba9876543210ull);
  EXPECT_EQ(t.presence_seq, 99u);
  EXPECT_EQ(t.mailbox_seq, 1ull << 40);
  EXPECT_EQ(t.type, "typing");
  EXPECT_EQ(t.context, "room:42");
  EXPECT_EQ(*e->frame, frame);
}

TEST(Envelope, EachKindAndAnEmptyFrame) {
  for (Target t : {Target::to_user(UserId{1}, "chat"), Target::to_all_except(UserId{2}, "user_status"),
                   Target::to_followers_of(UserId{3}, "presence"), sample()}) {
    auto e = decode_envelope(encode_envelope(1, t, ""));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->routed().kind, t.kind);
    EXPECT_EQ(e->routed().type, t.type);
    EXPECT_TRUE(e->frame->empty());
  }
}

TEST(Envelope, ALongContextIsCarriedWhole) {
  Target t = Target::to_context(std::string(5000, 'c'), UserId{}, "typing");
  auto e = decode_envelope(encode_envelope(1, t, "x"));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->routed().context, t.context);
}

TEST(Envelope, ABrokenPayloadIsRefusedWhole) {
  std::string wire = encode_envelope(5, sample(), "frame");
  const std::size_t header = wire.size() - 5;  // everything before the frame
  for (std::size_t cut = 0; cut < header; ++cut) {
    EXPECT_FALSE(decode_envelope(std::string_view(wire).substr(0, cut))) << "cut at " << cut;
  }
  std::string other_version = wire;
  other_version[0] = 2;
  EXPECT_FALSE(decode_envelope(other_version));
  std::string unknown_kind = wire;
  unknown_kind[1] = 9;
  EXPECT_FALSE(decode_envelope(unknown_kind));
  EXPECT_TRUE(decode_envelope(wire));
}
