// RedisLink against a real redis-server started per test (redis_server.hpp):
// commands and their reply types, pub/sub, a Redis restart, and stop().
// The io_context runs on the test thread, in steps, until a condition or a
// deadline, so no test can hang.
#include "cluster/redis_link.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "redis_server.hpp"
#include "run_until.hpp"

namespace herald::cluster {
namespace {

using namespace std::chrono_literals;
using Type = Reply::Type;

std::string describe(const Reply& r) {
  switch (r.type) {
    case Type::nil:
      return "nil";
    case Type::integer:
      return "integer " + std::to_string(r.integer);
    case Type::string:
      return "string '" + r.text + "'";
    case Type::status:
      return "status " + r.text;
    case Type::error:
      return "error " + r.text;
    case Type::array:
      return "array of " + std::to_string(r.elements.size());
  }
  return "?";
}

// ---------------------------------------------------------------- URLs

TEST(ParseRedisUrl, HostPortAndDatabase) {
  auto url = parse_redis_url("redis://127.0.0.1:6390/3");
  ASSERT_TRUE(url) << url.error();
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 6390);
  EXPECT_EQ(url->db, 3);

  url = parse_redis_url("redis://cache.internal");
  ASSERT_TRUE(url) << url.error();
  EXPECT_EQ(url->host, "cache.internal");
  EXPECT_EQ(url->port, 6379);
  EXPECT_EQ(url->db, 0);

  url = parse_redis_url("redis://[::1]:7000/");
  ASSERT_TRUE(url) << url.error();
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 7000);
  EXPECT_EQ(url->db, 0);
}

TEST(ParseRedisUrl, RejectsWhatItDoesNotSupport) {
  for (const char* bad :
       {"", "localhost:6379", "http://h:1", "rediss://h:6379", "redis://", "redis://:6379",
        "redis://h:", "redis://h:0", "redis://h:65536", "redis://h:12ab", "redis://h:1/x",
        "redis://h:1/-1", "redis://h:1/0?timeout=1", "redis://::1:6379", "redis://[::1"}) {
    EXPECT_FALSE(parse_redis_url(bad)) << bad;
  }
}

TEST(ParseRedisUrl, RejectsCredentialsWithoutEchoingThem) {
  auto url = parse_redis_url("redis://:s3cret@h:6379");
  ASSERT_FALSE(url);
  EXPECT_NE(url.error().find("not supported"), std::string::npos) << url.error();
  EXPECT_EQ(url.error().find("s3cret"), std::string::npos) << url.error();
}

// ---------------------------------------------------------------- the link

class RedisLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::have_redis_server()) {
      GTEST_SKIP() << test::kRedisServer
                   << " not found: install the redis-server package (scripts/install-deps.sh)";
    }
    server_ = std::make_unique<test::RedisServer>();
  }

  std::unique_ptr<RedisLink> make_link() {
    auto url = parse_redis_url(server_->url());
    EXPECT_TRUE(url) << url.error();
    return std::make_unique<RedisLink>(io_, *url);
  }

  std::unique_ptr<RedisLink> started_link() {
    auto link = make_link();
    link->start();
    EXPECT_TRUE(run_until([&] { return link->up(); })) << "link not up";
    return link;
  }

  // Runs handlers one at a time until done() or the deadline.
  template <class Pred>
  bool run_until(Pred done, std::chrono::milliseconds timeout = 3s) {
    return test::run_until(io_, done, timeout);
  }

  void run_for(std::chrono::milliseconds d) { io_.run_for(d); }

  // The reply to one command. The slot is shared: a reply that comes after
  // the deadline must not write into a dead stack frame.
  Reply call(RedisLink& link, std::vector<std::string> argv) {
    auto slot = std::make_shared<std::optional<Reply>>();
    link.command(std::move(argv), [slot](Reply r) { *slot = std::move(r); });
    if (!run_until([&] { return slot->has_value(); }))
      return Reply::error("test: no reply in time");
    return std::move(**slot);
  }

  std::int64_t subscribers(RedisLink& link, const std::string& channel) {
    Reply r = call(link, {"PUBSUB", "NUMSUB", channel});
    return r.type == Type::array && r.elements.size() == 2 ? r.elements[1].integer : -1;
  }

  // A subscribe() made while up is confirmed by no callback; Redis says
  // when it has taken effect.
  bool wait_subscribers(RedisLink& link, const std::string& channel, std::int64_t n) {
    return run_until([&] { return subscribers(link, channel) == n; });
  }

  // Declared first: destroyed last, after every link and the server.
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::unique_ptr<test::RedisServer> server_;
};

// Test 1: SET/GET (binary safe), INCR, an error reply, nil, an array; the
// commands the link refuses.
TEST_F(RedisLinkTest, CommandsAndReplyTypes) {
  auto link = started_link();
  ASSERT_TRUE(link->up());

  const std::string key("k\0ey", 4);
  const std::string value("a\0b\xff\x00z\xff", 7);
  Reply set = call(*link, {"SET", key, value});
  EXPECT_EQ(set.type, Type::status) << describe(set);
  EXPECT_EQ(set.text, "OK");

  Reply get = call(*link, {"GET", key});
  ASSERT_EQ(get.type, Type::string) << describe(get);
  EXPECT_EQ(get.text, value);
  EXPECT_EQ(get.text.size(), 7u);

  Reply one = call(*link, {"INCR", "counter"});
  Reply two = call(*link, {"INCR", "counter"});
  EXPECT_EQ(one.type, Type::integer) << describe(one);
  EXPECT_EQ(one.integer, 1);
  EXPECT_EQ(two.integer, 2);

  Reply wrong_type = call(*link, {"LPUSH", key, "x"});  // key holds a string
  EXPECT_TRUE(wrong_type.is_error()) << describe(wrong_type);
  EXPECT_TRUE(wrong_type.text.starts_with("WRONGTYPE")) << wrong_type.text;

  Reply missing = call(*link, {"GET", "no-such-key"});
  EXPECT_EQ(missing.type, Type::nil) << describe(missing);

  call(*link, {"RPUSH", "list", "x", std::string("\0", 1)});
  Reply range = call(*link, {"LRANGE", "list", "0", "-1"});
  ASSERT_EQ(range.type, Type::array) << describe(range);
  ASSERT_EQ(range.elements.size(), 2u);
  EXPECT_EQ(range.elements[0].text, "x");
  EXPECT_EQ(range.elements[1].text, std::string("\0", 1));

  EXPECT_TRUE(call(*link, {}).is_error());
  EXPECT_TRUE(call(*link, {"subscribe", "c"}).is_error());
  EXPECT_TRUE(call(*link, {"SELECT", "1"}).is_error());
  EXPECT_TRUE(link->up());  // and still usable:
  EXPECT_EQ(call(*link, {"GET", key}).text, value);
}

TEST_F(RedisLinkTest, SelectsTheDatabaseOfTheUrl) {
  auto url = parse_redis_url(server_->url() + "/2");
  ASSERT_TRUE(url);
  RedisLink link(io_, *url);
  link.start();
  ASSERT_TRUE(run_until([&] { return link.up(); }));
  call(link, {"SET", "where", "db2"});
  auto db0 = started_link();
  EXPECT_EQ(call(*db0, {"GET", "where"}).type, Type::nil);
  EXPECT_EQ(call(link, {"GET", "where"}).text, "db2");
}

// Test 2: two channels, binary payloads, then one unsubscribed.
TEST_F(RedisLinkTest, PubSub) {
  auto link = make_link();
  std::vector<std::pair<std::string, std::string>> got;
  link->set_on_message([&](std::string_view channel, std::string_view payload) {
    got.emplace_back(channel, payload);
  });
  const std::string a = "chan.a";
  const std::string b("chan\0b", 6);
  link->subscribe(a);  // before start: sent with the first connect
  link->start();
  ASSERT_TRUE(run_until([&] { return link->up(); }));
  link->subscribe(b);  // while up: sent now
  ASSERT_TRUE(wait_subscribers(*link, b, 1));

  const std::string pa("\xff\x00pa", 4);
  const std::string pb("pb\x00", 3);
  EXPECT_EQ(call(*link, {"PUBLISH", a, pa}).integer, 1);
  EXPECT_EQ(call(*link, {"PUBLISH", b, pb}).integer, 1);
  ASSERT_TRUE(run_until([&] { return got.size() == 2; })) << got.size();
  EXPECT_EQ(got[0], std::pair(a, pa));
  EXPECT_EQ(got[1], std::pair(b, pb));

  link->unsubscribe(a);
  // Published right away, before Redis may have seen the UNSUBSCRIBE: the
  // link must drop it anyway. Then b's message, which comes after it on
  // the same connection, tells when a's would have arrived.
  call(*link, {"PUBLISH", a, "late"});
  call(*link, {"PUBLISH", b, "second"});
  ASSERT_TRUE(run_until([&] { return got.size() >= 3; }));
  run_for(50ms);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[2], std::pair(b, std::string("second")));
  EXPECT_TRUE(wait_subscribers(*link, a, 0));
  EXPECT_EQ(subscribers(*link, b), 1);
  EXPECT_TRUE(link->up());
}

// Replies and messages far larger than hiredis's 16 KiB read, and a burst
// that leaves the socket full: all must arrive without Redis sending
// anything more (redis_link.cpp's file comment: waits on a socket that
// still holds data).
TEST_F(RedisLinkTest, LargeRepliesAndBursts) {
  auto link = make_link();
  std::size_t messages = 0;
  std::size_t bytes = 0;
  link->set_on_message([&](std::string_view, std::string_view payload) {
    ++messages;
    bytes += payload.size();
  });
  link->subscribe("bulk");
  link->start();
  ASSERT_TRUE(run_until([&] { return link->up(); }));

  std::string big(3 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131);
  EXPECT_EQ(call(*link, {"SET", "big", big}).text, "OK");
  Reply got = call(*link, {"GET", "big"});
  EXPECT_EQ(got.text.size(), big.size());
  EXPECT_TRUE(got.text == big);

  // One EVAL publishes them all at once, so they reach the socket together.
  Reply published = call(*link, {"EVAL",
                                 "for i = 1, 2000 do redis.call('PUBLISH', 'bulk', "
                                 "string.rep('x', 1000)) end return 2000",
                                 "0"});
  EXPECT_EQ(published.integer, 2000) << describe(published);
  ASSERT_TRUE(run_until([&] { return messages == 2000; })) << messages;
  EXPECT_EQ(bytes, 2000u * 1000u);
}

// Test 3: Redis goes away and comes back on the same port.
TEST_F(RedisLinkTest, ReconnectsAndResubscribesAfterRedisRestarts) {
  auto link = make_link();
  std::vector<bool> states;
  link->set_on_state([&](bool up) { states.push_back(up); });
  std::vector<std::string> news;
  link->set_on_message(
      [&](std::string_view, std::string_view payload) { news.emplace_back(payload); });
  link->subscribe("news");
  link->start();
  ASSERT_TRUE(run_until([&] { return link->up() && states.size() == 1; }));
  EXPECT_EQ(states, std::vector<bool>{true});

  // In flight when Redis goes: blocks on the server until it is killed.
  std::optional<Reply> blocked;
  link->command({"BLPOP", "never-filled", "0"}, [&](Reply r) { blocked = std::move(r); });
  run_for(50ms);
  EXPECT_FALSE(blocked);

  server_->stop();
  ASSERT_TRUE(run_until([&] { return !link->up() && states.size() == 2 && blocked; }));
  EXPECT_EQ(states, (std::vector<bool>{true, false}));
  EXPECT_TRUE(blocked->is_error());
  EXPECT_EQ(blocked->text, "connection lost");

  // While down: an error, promptly, not a queue.
  auto started = std::chrono::steady_clock::now();
  Reply down = call(*link, {"GET", "x"});
  EXPECT_TRUE(down.is_error()) << describe(down);
  EXPECT_EQ(down.text, "link down");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 100ms);
  run_for(300ms);  // a few failed reconnects
  EXPECT_FALSE(link->up());

  server_->start();
  // Backoff is capped at 2 s, plus the connect itself.
  ASSERT_TRUE(run_until([&] { return link->up() && states.size() == 3; }, 5s));
  EXPECT_EQ(states, (std::vector<bool>{true, false, true}));

  // Resubscribed without being asked: up() waited for Redis's confirmation.
  EXPECT_EQ(call(*link, {"PUBLISH", "news", "back"}).integer, 1);
  ASSERT_TRUE(run_until([&] { return news.size() == 1; }));
  EXPECT_EQ(news[0], "back");
  EXPECT_EQ(call(*link, {"INCR", "n"}).integer, 1);  // a fresh Redis
}

TEST_F(RedisLinkTest, StaysDownWithoutRedisAndStopsCleanly) {
  server_->stop();
  auto link = make_link();
  int states = 0;
  link->set_on_state([&](bool) { ++states; });
  link->start();
  run_for(300ms);
  EXPECT_FALSE(link->up());
  EXPECT_EQ(states, 0);  // never up, so never a change
  EXPECT_EQ(call(*link, {"PING"}).text, "link down");
  link->stop();
  run_for(50ms);
}

// Test 4: after stop(), nothing more: not a reply, not a message, not a
// state change, not even an error that was already posted.
TEST_F(RedisLinkTest, NoCallbackAfterStop) {
  auto publisher = started_link();
  auto link = make_link();
  int callbacks = 0;
  int replies = 0;
  link->set_on_state([&](bool) { ++callbacks; });
  link->set_on_message([&](std::string_view, std::string_view) { ++callbacks; });
  link->subscribe("c");
  link->start();
  ASSERT_TRUE(run_until([&] { return link->up() && callbacks == 1; }));

  EXPECT_EQ(call(*publisher, {"PUBLISH", "c", "m"}).integer, 1);
  ASSERT_TRUE(run_until([&] { return callbacks == 2; }));

  for (int i = 0; i < 50; ++i) link->command({"INCR", "n"}, [&](Reply) { ++replies; });
  ASSERT_TRUE(run_until([&] { return replies >= 1; }));
  link->command({}, [&](Reply) { ++replies; });  // its error is posted, not run yet
  publisher->command({"PUBLISH", "c", "m2"}, nullptr);
  int replies_at_stop = replies;
  link->stop();
  EXPECT_FALSE(link->up());
  link->command({"PING"}, [&](Reply) { ++replies; });
  link->subscribe("d");

  run_for(300ms);
  EXPECT_EQ(callbacks, 2);
  EXPECT_EQ(replies, replies_at_stop);
  EXPECT_LT(replies_at_stop, 50);  // some were still in flight
  // Its connections are closed: only the publisher's two remain.
  Reply clients = call(*publisher, {"CLIENT", "LIST"});
  EXPECT_EQ(std::ranges::count(clients.text, '\n'), 2) << clients.text;
}

TEST_F(RedisLinkTest, ACallbackMayDestroyTheLink) {
  auto link = started_link();
  int replies = 0;
  for (int i = 0; i < 10; ++i) {
    link->command({"PING"}, [&](Reply) {
      ++replies;
      link.reset();
    });
  }
  ASSERT_TRUE(run_until([&] { return link == nullptr; }));
  run_for(100ms);
  EXPECT_EQ(replies, 1);
}

// A server that takes the TCP connection and never answers: the pub/sub
// connection never sees its SUBSCRIBE confirmed, so the connect timeout
// drops it and the link tries again, and again.
TEST_F(RedisLinkTest, ADeafServerIsLeftAfterTheConnectTimeout) {
  int deaf = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(deaf, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(deaf, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(deaf, 64), 0);  // the kernel completes handshakes; nobody accepts
  ASSERT_EQ(::getsockname(deaf, reinterpret_cast<sockaddr*>(&addr), &len), 0);

  RedisUrl url{"127.0.0.1", ntohs(addr.sin_port), 0};
  RedisLinkOptions options;
  options.connect_timeout = 100ms;
  options.backoff_max = 100ms;
  RedisLink link(io_, url, options);
  link.subscribe("x");
  link.start();
  run_for(800ms);
  EXPECT_FALSE(link.up());
  link.stop();

  int connections = 0;
  ::fcntl(deaf, F_SETFL, O_NONBLOCK);
  for (int fd; (fd = ::accept(deaf, nullptr, nullptr)) >= 0; ++connections) ::close(fd);
  ::close(deaf);
  // The command connection (ready at once on db 0) plus pub/sub tries.
  EXPECT_GE(connections, 3);
}

TEST_F(RedisLinkTest, DestroyingWithCommandsInFlightIsSafe) {
  int replies = 0;
  {
    auto link = started_link();
    link->command({"BLPOP", "never-filled", "0"}, [&](Reply) { ++replies; });
    for (int i = 0; i < 20; ++i) link->command({"INCR", "n"}, [&](Reply) { ++replies; });
    run_for(20ms);  // the BLPOP reaches Redis and blocks everything behind it
  }
  {
    auto link = make_link();  // destroyed while connecting
    link->start();
    link->command({"PING"}, [&](Reply) { ++replies; });  // "link down", posted
  }
  { auto never_started = make_link(); }
  run_for(300ms);
  EXPECT_EQ(replies, 0);

  auto after = started_link();  // Redis is fine, and so is the io_context
  EXPECT_EQ(call(*after, {"PING"}).text, "PONG");
}

}  // namespace
}  // namespace herald::cluster
