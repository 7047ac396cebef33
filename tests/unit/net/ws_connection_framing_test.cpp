// WsConnection over real loopback TCP: Autobahn|Testsuite sections 1-4 (framing, ping/pong, reserved bits, opcodes).
#include "ws_test_support.hpp"

namespace herald::net::test {
namespace {

constexpr std::uint8_t kText = 0x1, kBinary = 0x2, kClose = 0x8, kPing = 0x9, kPong = 0xA;

// --- 1. Framing -------------------------------------------------------------

TEST_F(WsConnectionTest, Framing_TextOfBoundarySizesIsDeliveredWhole) {
  TransportLimits limits;
  limits.max_message_bytes = 70000;
  open(limits);
  const std::vector<std::size_t> sizes = {0, 1, 125, 126, 127, 65535, 65536};
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    write_raw(client_frame(kText, std::string(sizes[i], static_cast<char>('a' + i))));
  }
  ASSERT_TRUE(observer_->wait_texts(sizes.size()));
  const auto texts = observer_->texts();
  ASSERT_EQ(texts.size(), sizes.size());
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    EXPECT_EQ(texts[i], std::string(sizes[i], static_cast<char>('a' + i))) << "size " << sizes[i];
  }
  EXPECT_TRUE(is_open());
  EXPECT_EQ(observer_->wrong_thread_calls(), 0);
}

TEST_F(WsConnectionTest, Framing_HeaderAndPayloadSplitByteByByte) {
  open();
  write_bytewise(client_frame(kText, std::string(130, 'x')));  // 16-bit length header
  write_bytewise(client_frame(kText, "hello"));
  ASSERT_TRUE(observer_->wait_texts(2));
  EXPECT_EQ(observer_->texts()[0], std::string(130, 'x'));
  EXPECT_EQ(observer_->texts()[1], "hello");
}

TEST_F(WsConnectionTest, Framing_ManyFramesInOneWriteArriveInOrder) {
  open();
  std::string batch;
  for (int i = 0; i < 200; ++i) batch += client_frame(kText, "m" + std::to_string(i));
  write_raw(batch);
  ASSERT_TRUE(observer_->wait_texts(200));
  const auto texts = observer_->texts();
  for (int i = 0; i < 200; ++i) EXPECT_EQ(texts[i], "m" + std::to_string(i));
}

TEST_F(WsConnectionTest, Framing_LeftoverFromHttpHoldsFirstFrames) {
  const std::string second = client_frame(kText, "second");
  const std::string leftover = client_frame(kText, "first") + second.substr(0, 5);
  open({}, leftover);
  write_raw(second.substr(5));
  ASSERT_TRUE(observer_->wait_texts(2));
  EXPECT_EQ(observer_->texts(), (std::vector<std::string>{"first", "second"}));
}

TEST_F(WsConnectionTest, Framing_UnmaskedClientFrameIsProtocolError) {
  open();
  write_raw(std::string("\x81\x02hi", 4));
  expect_failed_with(1002);
}

TEST_F(WsConnectionTest, Framing_NonMinimalLengthIsProtocolError) {
  open();
  write_raw(std::string("\x81\xFE\x00\x05\x01\x02\x03\x04", 8) + "abcde");  // 5 in 16 bits
  expect_failed_with(1002);
}

// --- 2. Ping / pong ----------------------------------------------------------

TEST_F(WsConnectionTest, PingPong_PingIsAnsweredWithSamePayload) {
  open();
  write_raw(client_frame(kPing, "hello ping"));
  ServerFrame f = read_frame();
  EXPECT_EQ(f.opcode, kPong);
  EXPECT_TRUE(f.fin);
  EXPECT_EQ(f.payload, "hello ping");

  write_raw(client_frame(kPing, ""));
  f = read_frame();
  EXPECT_EQ(f.opcode, kPong);
  EXPECT_EQ(f.payload, "");
}

TEST_F(WsConnectionTest, PingPong_125BytePingSplitAcrossWritesIsAnswered) {
  open();
  std::string payload(125, '\0');
  for (int i = 0; i < 125; ++i) payload[i] = static_cast<char>(i * 7);
  const std::string frame = client_frame(kPing, payload);
  write_raw(frame.substr(0, 40));
  std::this_thread::sleep_for(20ms);
  write_raw(frame.substr(40));
  ServerFrame f = read_frame();
  EXPECT_EQ(f.opcode, kPong);
  EXPECT_EQ(f.payload, payload);
}

TEST_F(WsConnectionTest, PingPong_126BytePingIsProtocolError) {
  open();
  write_raw(client_frame(kPing, std::string(126, 'p')));
  expect_failed_with(1002);
}

TEST_F(WsConnectionTest, PingPong_UnsolicitedPongIsIgnored) {
  open();
  write_raw(client_frame(kPong, "unsolicited") + client_frame(kText, "after"));
  ASSERT_TRUE(observer_->wait_texts(1));
  EXPECT_EQ(observer_->texts()[0], "after");
  EXPECT_TRUE(is_open());
}

// --- 3. Reserved bits --------------------------------------------------------

class ReservedBitsTest : public WsConnectionTest, public ::testing::WithParamInterface<int> {};

TEST_P(ReservedBitsTest, AnyRsvBitIsProtocolError) {
  open();
  write_raw(client_frame(kText, "hi", true, static_cast<std::uint8_t>(GetParam())));
  expect_failed_with(1002);
  EXPECT_TRUE(observer_->texts().empty());
}

INSTANTIATE_TEST_SUITE_P(Rsv, ReservedBitsTest, ::testing::Values(1, 2, 3, 4, 5, 6, 7));

TEST_F(WsConnectionTest, ReservedBits_OnPingIsProtocolErrorAndNoPong) {
  open();
  write_raw(client_frame(kPing, "x", true, 4));
  ServerFrame f = read_frame();
  EXPECT_EQ(f.opcode, kClose);
  EXPECT_EQ(f.close_code(), 1002);
}

// --- 4. Opcodes --------------------------------------------------------------

class OpcodeTest : public WsConnectionTest, public ::testing::WithParamInterface<int> {};

TEST_P(OpcodeTest, ReservedOpcodeIsProtocolError) {
  open();
  write_raw(client_frame(static_cast<std::uint8_t>(GetParam()), "data"));
  expect_failed_with(1002);
  EXPECT_TRUE(observer_->texts().empty());
}

INSTANTIATE_TEST_SUITE_P(Opcodes, OpcodeTest,
                         ::testing::Values(3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF));

TEST_F(WsConnectionTest, Opcodes_BinaryMessageClosesWith1003) {
  open();
  write_raw(client_frame(kBinary, "\x01\x02\x03"));
  expect_failed_with(1003);
  EXPECT_TRUE(observer_->texts().empty());
}

}  // namespace
}  // namespace herald::net::test
