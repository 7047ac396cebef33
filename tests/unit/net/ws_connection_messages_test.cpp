// WsConnection over real loopback TCP: Autobahn|Testsuite sections 5-6 (fragmentation, UTF-8).
#include "ws_test_support.hpp"

namespace herald::net::test {
namespace {

constexpr std::uint8_t kCont = 0x0, kText = 0x1, kPing = 0x9, kPong = 0xA;

// --- 5. Fragmentation --------------------------------------------------------

TEST_F(WsConnectionTest, Fragmentation_ThreeFragmentsDeliveredOnce) {
  open();
  write_raw(client_frame(kText, "frag1-", false));
  write_raw(client_frame(kCont, "frag2-", false));
  sync_with_ping("after frag2");
  EXPECT_TRUE(observer_->texts().empty());
  write_raw(client_frame(kCont, "frag3", true));
  sync_with_ping("after frag3");
  EXPECT_EQ(observer_->texts(), (std::vector<std::string>{"frag1-frag2-frag3"}));
}

TEST_F(WsConnectionTest, Fragmentation_PingBetweenFragmentsIsAnswered) {
  open();
  write_raw(client_frame(kText, "a", false));
  write_raw(client_frame(kPing, "mid"));
  ServerFrame f = read_frame();
  EXPECT_EQ(f.opcode, kPong);
  EXPECT_EQ(f.payload, "mid");
  write_raw(client_frame(kCont, "b", false) + client_frame(kPong, "x") + client_frame(kCont, "c"));
  ASSERT_TRUE(observer_->wait_texts(1));
  EXPECT_EQ(observer_->texts()[0], "abc");
}

TEST_F(WsConnectionTest, Fragmentation_EmptyFragmentsMakeEmptyMessage) {
  open();
  write_raw(client_frame(kText, "", false) + client_frame(kCont, "", false) + client_frame(kCont, ""));
  ASSERT_TRUE(observer_->wait_texts(1));
  EXPECT_EQ(observer_->texts()[0], "");
}

TEST_F(WsConnectionTest, Fragmentation_ContinuationWithoutStartIsProtocolError) {
  open();
  write_raw(client_frame(kCont, "orphan"));
  expect_failed_with(1002);
}

TEST_F(WsConnectionTest, Fragmentation_NewTextInsideFragmentedMessageIsProtocolError) {
  open();
  write_raw(client_frame(kText, "a", false) + client_frame(kText, "b"));
  expect_failed_with(1002);
  EXPECT_TRUE(observer_->texts().empty());
}

TEST_F(WsConnectionTest, Fragmentation_FragmentedPingIsProtocolError) {
  open();
  write_raw(client_frame(kPing, "a", false));
  expect_failed_with(1002);
}

// --- 6. UTF-8 ----------------------------------------------------------------

TEST_F(WsConnectionTest, Utf8_CodePointSplitAcrossFragmentsIsValid) {
  open();
  const std::string text = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5 \xf0\x9f\x98\x80";  // κόσμε 😀
  // Split inside the 3-byte and inside the 4-byte sequence.
  write_raw(client_frame(kText, text.substr(0, 3), false));
  write_raw(client_frame(kCont, text.substr(3, 12), false));
  write_raw(client_frame(kCont, text.substr(15)));
  ASSERT_TRUE(observer_->wait_texts(1));
  EXPECT_EQ(observer_->texts()[0], text);
}

class InvalidUtf8Test : public WsConnectionTest,
                        public ::testing::WithParamInterface<const char*> {};

TEST_P(InvalidUtf8Test, SingleFrameClosesWith1007) {
  open();
  write_raw(client_frame(kText, std::string("ok ") + GetParam()));
  expect_failed_with(1007);
  EXPECT_TRUE(observer_->texts().empty());
}

TEST_P(InvalidUtf8Test, FragmentedClosesWith1007) {
  open();
  const std::string bad = GetParam();
  write_raw(client_frame(kText, "ok ", false));
  write_raw(client_frame(kCont, bad.substr(0, 1), false));
  write_raw(client_frame(kCont, bad.substr(1)));
  expect_failed_with(1007);
  EXPECT_TRUE(observer_->texts().empty());
}

INSTANTIATE_TEST_SUITE_P(Sequences, InvalidUtf8Test,
                         ::testing::Values("\xc0\x80",              // overlong NUL
                                           "\xc1\xbf",              // overlong
                                           "\xe0\x80\xaf",          // overlong '/'
                                           "\xf0\x80\x80\xaf",      // overlong '/'
                                           "\xed\xa0\x80",          // surrogate U+D800
                                           "\xed\xbf\xbf",          // surrogate U+DFFF
                                           "\xf4\x90\x80\x80",      // U+110000
                                           "\xf5\x80\x80\x80",      // lead > F4
                                           "\xff\xfe",              // never valid
                                           "\x80\x80",              // stray continuation
                                           "\xe2\x82",              // truncated at the end
                                           "\xf0\x9f\x98"));        // truncated at the end

TEST_F(WsConnectionTest, Utf8_InvalidInFirstFragmentFailsFast) {
  open();
  write_raw(client_frame(kText, "abc\xed\xa0\x80", false));  // the message never finishes
  expect_failed_with(1007);
}

}  // namespace
}  // namespace herald::net::test

namespace herald::net::test {
namespace {

// The HTTP layer queues its 101 through send_handshake_response(): the raw
// bytes go out first, unframed, then the frames queued before start().
TEST_F(WsConnectionTest, HandshakeResponsePrecedesTheFirstFrames) {
  const std::string response = "HTTP/1.1 101 Test\r\n\r\n";
  open({}, {}, [&](WsConnection& c) {
    c.send_handshake_response(response);
    c.send(make_frame(std::string("welcome")));
  });
  std::string head(response.size(), '\0');
  ASSERT_TRUE(read_exact(head.data(), head.size()));
  EXPECT_EQ(head, response);
  ServerFrame f = read_frame();
  EXPECT_EQ(f.opcode, 0x1);
  EXPECT_EQ(f.payload, "welcome");
}

// A refused connection (close before start) still answers 101 first, then
// the close frame: the client sees a WebSocket close code, not a bad handshake.
TEST_F(WsConnectionTest, HandshakeResponsePrecedesAnEarlyClose) {
  const std::string response = "HTTP/1.1 101 Test\r\n\r\n";
  open({}, {}, [&](WsConnection& c) {
    c.send_handshake_response(response);
    c.close(CloseCode::slow_consumer, "refused");  // drops queued frames, keeps the 101
  });
  std::string head(response.size(), '\0');
  ASSERT_TRUE(read_exact(head.data(), head.size()));
  EXPECT_EQ(head, response);
  EXPECT_EQ(read_close(), 4010);
}

}  // namespace
}  // namespace herald::net::test
