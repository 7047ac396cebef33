// WsConnection over real loopback TCP: Autobahn|Testsuite section 7 (the closing handshake).
#include "ws_test_support.hpp"

namespace herald::net::test {
namespace {

constexpr std::uint8_t kText = 0x1, kClose = 0x8;

// --- 7. Closing handshake ----------------------------------------------------

TEST_F(WsConnectionTest, Close_ClientCloseIsEchoedAndServerClosesTcp) {
  open();
  write_raw(client_frame(kClose, close_body(1000, "bye")));
  ServerFrame f = read_frame();
  EXPECT_EQ(f.opcode, kClose);
  EXPECT_EQ(f.close_code(), 1000);
  EXPECT_TRUE(wait_eof());
  EXPECT_EQ(observer_->wait_closed(), std::optional<std::uint16_t>(1000));
  EXPECT_FALSE(is_open());
  EXPECT_EQ(send("late"), SendResult::closed);
}

TEST_F(WsConnectionTest, Close_ApplicationCodeIsEchoed) {
  open();
  write_raw(client_frame(kClose, close_body(4321)));
  EXPECT_EQ(read_close(), std::optional<std::uint16_t>(4321));
  EXPECT_EQ(observer_->wait_closed(), std::optional<std::uint16_t>(4321));
}

TEST_F(WsConnectionTest, Close_EmptyCloseGetsEmptyEchoAnd1005) {
  open();
  write_raw(client_frame(kClose, ""));
  ServerFrame f = read_frame();
  EXPECT_EQ(f.opcode, kClose);
  EXPECT_EQ(f.payload, "");
  EXPECT_EQ(observer_->wait_closed(), std::optional<std::uint16_t>(1005));
}

TEST_F(WsConnectionTest, Close_ServerCloseCodeAndReasonVisibleToClient) {
  open();
  on_worker([&] { conn_->close(CloseCode::invalid_token, "invalid token"); });
  EXPECT_FALSE(is_open());
  ServerFrame f = read_frame();
  ASSERT_EQ(f.opcode, kClose);
  EXPECT_EQ(f.close_code(), 4001);
  EXPECT_EQ(f.payload.substr(2), "invalid token");
  EXPECT_EQ(send("after close"), SendResult::closed);
  write_raw(client_frame(kClose, close_body(1000)));  // the client's reply
  EXPECT_TRUE(wait_eof());
  EXPECT_EQ(observer_->wait_closed(), std::optional<std::uint16_t>(4001));  // ours, not theirs
  EXPECT_EQ(observer_->closed_count(), 1);
}

TEST_F(WsConnectionTest, Close_QueuedDataGoesOutBeforeTheCloseFrame) {
  open();
  on_worker([&] {
    conn_->send(make_frame("one"));
    conn_->send(make_frame("two"));
    conn_->close(CloseCode::normal, "done");
    conn_->close(CloseCode::going_away, "second close is ignored");
  });
  EXPECT_EQ(read_frame().payload, "one");
  EXPECT_EQ(read_frame().payload, "two");
  ServerFrame f = read_frame();
  EXPECT_EQ(f.opcode, kClose);
  EXPECT_EQ(f.close_code(), 1000);
}

TEST_F(WsConnectionTest, Close_SendAndCloseBeforeStartAreQueued) {
  open({}, {}, [](WsConnection& c) {
    EXPECT_EQ(c.send(make_frame("connected")), SendResult::queued);
    c.close(CloseCode::invalid_token, "bad token");
    EXPECT_EQ(c.send(make_frame("x")), SendResult::closed);
  });
  EXPECT_EQ(read_frame().payload, "connected");
  EXPECT_EQ(read_close(), std::optional<std::uint16_t>(4001));
  write_raw(client_frame(kClose, close_body(4001)));
  EXPECT_EQ(observer_->wait_closed(), std::optional<std::uint16_t>(4001));
}

TEST_F(WsConnectionTest, Close_PeerThatNeverAnswersIsDroppedAfterDeadline) {
  open();
  const auto t0 = std::chrono::steady_clock::now();
  on_worker([&] { conn_->close(CloseCode::going_away, "shutdown"); });
  EXPECT_EQ(read_close(), std::optional<std::uint16_t>(1001));
  EXPECT_EQ(observer_->wait_closed(6s), std::optional<std::uint16_t>(1001));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 1500ms);  // waited for the answer
  EXPECT_TRUE(wait_eof());
}

TEST_F(WsConnectionTest, Close_TextAfterOurCloseIsNotDelivered) {
  open();
  on_worker([&] { conn_->close(CloseCode::normal, ""); });
  EXPECT_EQ(read_close(), std::optional<std::uint16_t>(1000));
  write_raw(client_frame(kText, "too late") + client_frame(kClose, close_body(1000)));
  EXPECT_EQ(observer_->wait_closed(), std::optional<std::uint16_t>(1000));
  EXPECT_TRUE(observer_->texts().empty());
}

class InvalidCloseTest : public WsConnectionTest,
                         public ::testing::WithParamInterface<std::string> {};

TEST_P(InvalidCloseTest, IsProtocolError) {
  open();
  write_raw(client_frame(kClose, GetParam()));
  ServerFrame f = read_frame();
  EXPECT_EQ(f.opcode, kClose);
  EXPECT_EQ(f.close_code(), 1002);
  write_raw(client_frame(kClose, close_body(1002)));
  client_.shutdown(tcp::socket::shutdown_send);
  EXPECT_TRUE(wait_eof());
  EXPECT_EQ(observer_->wait_closed(), std::optional<std::uint16_t>(1002));
}

INSTANTIATE_TEST_SUITE_P(Payloads, InvalidCloseTest,
                         ::testing::Values(std::string("\x03", 1),  // 1-byte body
                                           close_body(999), close_body(1004), close_body(1005),
                                           close_body(1006), close_body(1015), close_body(2999),
                                           close_body(5000), close_body(0),
                                           close_body(1000, "\xff\xfe")));  // bad UTF-8 reason

TEST_F(WsConnectionTest, Close_CloseAfterCloseIsIgnored) {
  open();
  write_raw(client_frame(kClose, close_body(1000)) + client_frame(kClose, close_body(1001)) +
            client_frame(kText, "after"));
  EXPECT_EQ(read_close(), std::optional<std::uint16_t>(1000));
  EXPECT_EQ(read_frame().opcode, 0xFF);  // nothing more, then EOF
  EXPECT_EQ(observer_->wait_closed(), std::optional<std::uint16_t>(1000));
  EXPECT_EQ(observer_->closed_count(), 1);
  EXPECT_TRUE(observer_->texts().empty());
}

TEST_F(WsConnectionTest, Close_TcpDropWithoutCloseFrameIs1006) {
  open();
  write_raw(client_frame(kText, "partial", false));
  client_.close();
  EXPECT_EQ(observer_->wait_closed(), std::optional<std::uint16_t>(1006));
  EXPECT_EQ(observer_->closed_count(), 1);
  EXPECT_EQ(observer_->calls_after_close(), 0);
}

}  // namespace
}  // namespace herald::net::test
