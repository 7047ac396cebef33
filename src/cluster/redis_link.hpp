#pragma once
// The cluster broker's line to Redis: hiredis's asynchronous API driven by
// one Boost.Asio io_context, behind a small interface that never shows a
// hiredis type.
//
// A link holds two connections, because a connection that has run
// SUBSCRIBE can run nothing but (UN)SUBSCRIBE: one for commands, one for
// pub/sub. Each reconnects by itself after a failure, with exponential
// backoff and full jitter (when Redis restarts, the nodes must not all
// reconnect in the same millisecond), and the pub/sub connection re-issues
// every channel the link is subscribed to before the link counts as up
// again. Messages published while the link was down are lost: a caller
// that cares resynchronises when on_state reports true again.
//
// Threading: every member is called, and every callback runs, on the
// thread that runs the io_context (one thread); other threads post to it.
// Callbacks are always posted, never run from inside a member call or from
// inside hiredis, so a callback may call any member, stop() and the
// destructor included. After stop() (or the destructor) returns, no
// callback runs. The link must be destroyed before its io_context.
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cluster/redis_url.hpp"

namespace boost::asio {
class io_context;
}

namespace herald::cluster {


// A reply, copied out of hiredis's redisReply. `text` holds a string's
// bytes (binary safe), a status's text ("OK") or an error's message
// ("WRONGTYPE ..."); the link's own failures are errors too ("link down",
// "connection lost").
struct Reply {
  enum class Type : std::uint8_t { nil, integer, string, status, error, array };
  Type type = Type::nil;
  std::int64_t integer = 0;
  std::string text;
  std::vector<Reply> elements;

  bool is_error() const { return type == Type::error; }
  static Reply error(std::string message) {
    Reply r;
    r.type = Type::error;
    r.text = std::move(message);
    return r;
  }
};

struct RedisLinkOptions {
  // Reconnect delays: the n-th consecutive failure waits a uniformly random
  // time in [0, min(backoff_max, backoff_base * 2^n)].
  std::chrono::milliseconds backoff_base{100};
  std::chrono::milliseconds backoff_max{2000};
  // A connection that is not ready this long after connect() began (TCP
  // connect, SELECT, resubscribe) is dropped and retried.
  std::chrono::milliseconds connect_timeout{3000};
};

class RedisLink {
 public:
  using StateHandler = std::function<void(bool up)>;
  using MessageHandler = std::function<void(std::string_view channel, std::string_view payload)>;
  using ReplyHandler = std::function<void(Reply)>;

  RedisLink(boost::asio::io_context& io, RedisUrl url, RedisLinkOptions options = {});
  ~RedisLink();  // stop()
  RedisLink(const RedisLink&) = delete;
  RedisLink& operator=(const RedisLink&) = delete;

  // Connects both connections and keeps them connected until stop().
  // Once only: a stopped link stays stopped. hiredis resolves a host name
  // with a blocking getaddrinfo at every attempt, on the io_context's
  // thread: give an address, or a name the hosts file knows.
  void start();
  // Drops both connections at once. Commands in flight are abandoned: their
  // handlers are destroyed without being called, as is every other pending
  // callback. Neither on_state nor anything else is called from here on.
  void stop();

  // Both connections ready: connected, the database selected and every
  // subscription confirmed by Redis since the last reconnect.
  bool up() const;

  // Called with each change of up(), posted (so up() may have moved on by
  // the time it runs).
  void set_on_state(StateHandler handler);
  // Called for each message on a channel the link is subscribed to at the
  // time the handler runs; the views live for the call only.
  void set_on_message(MessageHandler handler);

  // Runs argv (binary safe) on the command connection. `done` always runs,
  // posted, exactly once unless the link is stopped first: with Redis's
  // reply, or with an error reply "link down" when the command connection
  // is not ready (the command is not queued), or "connection lost" when the
  // connection dropped before the reply came (the command may or may not
  // have run). Refused with an error: an empty argv and the commands that
  // would change the connection under the link (SUBSCRIBE and the rest of
  // the pub/sub family, MONITOR, SELECT, HELLO, RESET). An empty `done`
  // sends the command and drops its reply.
  void command(std::vector<std::string> argv, ReplyHandler done);

  // The subscribed set: remembered across reconnects, and sent to Redis
  // now if the pub/sub connection is connected. Channel names are binary
  // safe. Subscribing twice or unsubscribing an unknown channel does
  // nothing.
  void subscribe(std::string channel);
  void unsubscribe(std::string channel);

 private:
  struct Impl;
  // Shared so that posted callbacks can hold a weak reference: one that
  // runs after the link is gone finds nothing and does nothing.
  std::shared_ptr<Impl> impl_;
};

}  // namespace herald::cluster
