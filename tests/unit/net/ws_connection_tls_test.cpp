// WsConnection over TLS (wss): the same frame layer through Asio's SSL
// stream. Each test mirrors a plain one where TLS changes the I/O under it:
// reads of plaintext that arrive record by record (a frame split over many
// records, a message larger than the connection's read buffer), writes of
// whole batches as one block (order, large frames, a burst past the batch
// limit), backpressure while the client does not read, and both closes.
#include "ws_test_support.hpp"

namespace herald::net::test {
namespace {

constexpr std::uint8_t kCont = 0x0, kText = 0x1, kClose = 0x8, kPing = 0x9, kPong = 0xA;

class WsConnectionTlsTest : public WsConnectionTest {
 protected:
  WsConnectionTlsTest() { tls_ = true; }
};

TEST_F(WsConnectionTlsTest, TextBothWays) {
  open();
  write_raw(client_frame(kText, "hello"));
  ASSERT_TRUE(observer_->wait_texts(1));
  EXPECT_EQ(observer_->texts()[0], "hello");
  EXPECT_EQ(send("world"), SendResult::queued);
  ServerFrame f = read_frame();
  EXPECT_EQ(f.opcode, kText);
  EXPECT_EQ(f.payload, "world");
  EXPECT_EQ(observer_->wrong_thread_calls(), 0);
}

TEST_F(WsConnectionTlsTest, FrameSplitOverOneByteRecords) {
  open();
  write_bytewise(client_frame(kText, "split across records"));  // one TLS record per byte
  ASSERT_TRUE(observer_->wait_texts(1));
  EXPECT_EQ(observer_->texts()[0], "split across records");
}

TEST_F(WsConnectionTlsTest, MessageLargerThanTheReadBufferArrivesWhole) {
  TransportLimits limits;
  limits.max_message_bytes = 256 * 1024;
  open(limits);
  std::string big(200 * 1024, 'q');
  for (std::size_t i = 0; i < big.size(); i += 997) big[i] = static_cast<char>('a' + i % 26);
  // Two fragments, one of them 150 KiB: many records, many 4 KiB reads.
  write_raw(client_frame(kText, std::string_view(big).substr(0, 150 * 1024), false) +
            client_frame(kCont, std::string_view(big).substr(150 * 1024)));
  ASSERT_TRUE(observer_->wait_texts(1));
  EXPECT_EQ(observer_->texts()[0], big);
}

TEST_F(WsConnectionTlsTest, PingIsAnsweredBetweenFragments) {
  open();
  write_raw(client_frame(kText, "one ", false));
  write_raw(client_frame(kPing, "p"));
  ServerFrame pong = read_frame();
  EXPECT_EQ(pong.opcode, kPong);
  EXPECT_EQ(pong.payload, "p");
  write_raw(client_frame(kCont, "two"));
  ASSERT_TRUE(observer_->wait_texts(1));
  EXPECT_EQ(observer_->texts()[0], "one two");
}

TEST_F(WsConnectionTlsTest, BurstArrivesInOrderWithLargeFramesIntact) {
  TransportLimits limits;
  limits.max_queue_bytes = 4 * 1024 * 1024;
  open(limits);
  // Over the batch limits (64 frames, 256 KiB): several blocks, one write
  // in flight at a time; one frame alone is larger than a block's budget.
  auto payload_of = [](int i) {
    const std::size_t size = i == 7 ? 300000 : i % 50 == 0 ? 70000 : i % 7 == 0 ? 3000 : 10 + i % 13;
    std::string s = "#" + std::to_string(i) + ":";
    s.resize(size, static_cast<char>('a' + i % 26));
    return s;
  };
  const int n = 400;
  std::vector<SendResult> results = on_worker([&] {
    std::vector<SendResult> r;
    for (int i = 0; i < n; ++i) r.push_back(conn_->send(make_frame(payload_of(i))));
    return r;
  });
  for (int i = 0; i < n; ++i) ASSERT_EQ(results[i], SendResult::queued) << i;
  for (int i = 0; i < n; ++i) {
    ServerFrame f = read_frame();
    ASSERT_EQ(f.opcode, kText) << i;
    ASSERT_EQ(f.payload, payload_of(i)) << i;
  }
  EXPECT_TRUE(is_open());
}

TEST_F(WsConnectionTlsTest, ServerCloseHandshake) {
  open();
  send("last");
  on_worker([&] { conn_->close(CloseCode::invalid_token, "invalid token"); });
  EXPECT_EQ(read_frame().payload, "last");
  ServerFrame f = read_frame();
  ASSERT_EQ(f.opcode, kClose);
  EXPECT_EQ(f.close_code(), 4001);
  write_raw(client_frame(kClose, close_body(1000)));
  EXPECT_TRUE(wait_eof());
  EXPECT_EQ(observer_->wait_closed(), std::optional<std::uint16_t>(4001));
  EXPECT_EQ(observer_->closed_count(), 1);
}

TEST_F(WsConnectionTlsTest, ClientCloseIsEchoed) {
  open();
  write_raw(client_frame(kClose, close_body(1000, "bye")));
  EXPECT_EQ(read_close(), std::optional<std::uint16_t>(1000));
  EXPECT_TRUE(wait_eof());
  EXPECT_EQ(observer_->wait_closed(), std::optional<std::uint16_t>(1000));
}

TEST_F(WsConnectionTlsTest, ProtocolErrorFailsTheConnection) {
  open();
  write_raw(client_frame(kText, "\xff\xfe"));  // not UTF-8
  expect_failed_with(1007);
}

TEST_F(WsConnectionTlsTest, TcpDropIsAbnormal) {
  open();
  sync_with_ping("up");
  boost::system::error_code ec;
  client_.close(ec);
  EXPECT_EQ(observer_->wait_closed(), std::optional<std::uint16_t>(1006));
}

TEST_F(WsConnectionTlsTest, ClientThatNeverReadsIsClosed4010) {
  TransportLimits limits;
  limits.max_queue_bytes = 256 * 1024;
  open(limits, {}, {}, /*client_rcvbuf=*/4096);
  const auto payload = make_frame(std::string(16 * 1024, 'z'));
  SendResult last = SendResult::queued;
  int sent = 0;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (last == SendResult::queued && std::chrono::steady_clock::now() < deadline) {
    last = on_worker([&] { return conn_->send(payload); });
    ++sent;
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(last, SendResult::overflow) << "after " << sent << " frames";
  // The stalled async write holds the close frame back; the close deadline
  // ends the connection anyway.
  EXPECT_EQ(observer_->wait_closed(10s), std::optional<std::uint16_t>(4010));
}

}  // namespace
}  // namespace herald::net::test
