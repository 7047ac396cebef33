// RedisLink: hiredis's async API on a Boost.Asio io_context.
//
// The event library hiredis needs is AsioEvents (redis_asio_events.hpp).
//
// Lifetimes: hiredis calls back into a Conn (ac->data) only from
// redisAsyncHandleRead/Write, which a wait handler calls only while the
// context is open, and from redisAsyncFree, which only this file calls.
// The link frees both contexts in stop(), so those pointers are good
// whenever hiredis uses them. A wait handler owns its AsioEvents through a
// shared_ptr, so it may complete (aborted) after the context and the link
// are gone. Callers' handlers are all posted through Impl::post, which
// holds the Impl weakly and checks `stopped`: that is how "no callback
// after stop()" holds, and why a handler may call stop() or destroy the
// link, which it could not do from inside hiredis.
#include "cluster/redis_link.hpp"

#include "cluster/redis_asio_events.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <random>
#include <unordered_set>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

namespace herald::cluster {

namespace asio = boost::asio;
using boost::system::error_code;

// ---------------------------------------------------------------- replies

namespace {

Reply copy_reply(const redisReply& r) {
  Reply out;
  switch (r.type) {
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::string;
      out.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::status;
      out.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::error;
      out.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::integer;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::array;
      out.elements.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i) {
        out.elements.push_back(r.element[i] ? copy_reply(*r.element[i]) : Reply());
      }
      break;
    default:  // REDIS_REPLY_NIL
      break;
  }
  return out;
}

std::string_view text_of(const redisReply* r) {
  return r && r->type == REDIS_REPLY_STRING ? std::string_view(r->str, r->len) : std::string_view();
}

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// Commands that would change the command connection under the link:
// subscribing would turn it into a pub/sub connection (and hiredis would
// call one reply handler many times), MONITOR makes it a stream, SELECT
// would be forgotten at the next reconnect, HELLO 3 speaks RESP3 (which
// hiredis 0.14 cannot read), RESET undoes SELECT.
std::optional<std::string> refusal(const std::vector<std::string>& argv) {
  if (argv.empty()) return "empty command";
  static constexpr std::array<std::string_view, 10> kRefused = {
      "subscribe",    "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe",
      "sunsubscribe", "monitor",    "select",     "hello",       "reset"};
  for (std::string_view name : kRefused) {
    if (iequals(argv.front(), name)) {
      return "command " + std::string(name) + " is not allowed on the link";
    }
  }
  return std::nullopt;
}

}  // namespace

// ---------------------------------------------------------------- the link

struct RedisLink::Impl : std::enable_shared_from_this<Impl> {
  enum class Role { commands, pubsub };

  // One hiredis connection and its reconnect state.
  struct Conn {
    Conn(Impl& link, Role role) : link(link), role(role), retry_timer(link.io), deadline(link.io) {}
    const char* name() const { return role == Role::commands ? "commands" : "pubsub"; }

    Impl& link;
    Role role;
    redisAsyncContext* ac = nullptr;  // null between a loss and the next connect
    std::shared_ptr<AsioEvents> events;
    bool connected = false;     // TCP up (hiredis's onConnect said so)
    bool ready = false;         // and the handshake done: SELECT, or resubscribe
    unsigned failures = 0;      // since last ready: the backoff exponent
    std::uint64_t attempt = 0;  // connect() calls: tells a stale deadline from the current one
    asio::steady_timer retry_timer;
    asio::steady_timer deadline;
  };

  Impl(asio::io_context& io, RedisUrl url, RedisLinkOptions options)
      : io(io),
        url(std::move(url)),
        options(options),
        commands(*this, Role::commands),
        pubsub(*this, Role::pubsub),
        rng(std::random_device{}()) {}

  asio::io_context& io;
  const RedisUrl url;
  const RedisLinkOptions options;
  Conn commands;
  Conn pubsub;
  bool started = false;
  bool stopped = false;
  bool reported_up = false;                     // the last state given to on_state
  std::unordered_set<std::string> channels;     // the subscribed set
  std::unordered_set<std::string> unconfirmed;  // resubscribed after a connect, not confirmed yet
  // Shared so that a handler may replace itself while it runs.
  std::shared_ptr<const StateHandler> on_state;
  std::shared_ptr<const MessageHandler> on_message;
  std::minstd_rand rng;

  bool up() const { return !stopped && commands.ready && pubsub.ready; }

  // Runs f later on the io_context, unless the link is stopped or gone.
  template <class F>
  void post(F f) {
    asio::post(io, [weak = weak_from_this(), f = std::move(f)]() mutable {
      auto self = weak.lock();
      if (self && !self->stopped) f();
    });
  }

  // ---- connecting

  void start() {
    if (started || stopped) return;
    started = true;
    connect(commands);
    connect(pubsub);
  }

  void connect(Conn& c) {
    ++c.attempt;
    redisAsyncContext* ac = redisAsyncConnect(url.host.c_str(), url.port);
    if (!ac || ac->err) {
      log_failure(c, ac ? ac->errstr : "out of memory");
      if (ac) redisAsyncFree(ac);  // no hooks installed yet: just frees
      retry_later(c);
      return;
    }
    // Keepalive probes find a peer that vanished without a FIN (a network
    // partition) in about 30 s; without them the link would stay "up".
    auto events = std::make_shared<AsioEvents>(io, ac, [this, &c] { context_gone(c); });
    if (redisEnableKeepAlive(&ac->c) != REDIS_OK || !events->attach()) {
      log_failure(c, ac->c.err ? ac->c.errstr : "cannot watch the socket");
      redisAsyncFree(ac);
      retry_later(c);
      return;
    }
    c.ac = ac;
    c.events = std::move(events);
    ac->data = &c;
    redisAsyncSetDisconnectCallback(ac, &Impl::on_disconnect);
    // Last: it asks for the first write event, which reports the connect.
    redisAsyncSetConnectCallback(ac, &Impl::on_connect);
    arm_deadline(c);
  }

  // Full jitter: a uniformly random delay up to the exponential bound, so
  // nodes that lost Redis together do not come back in step.
  std::chrono::milliseconds backoff(unsigned failures) {
    auto bound = options.backoff_base.count() << std::min(failures, 20u);
    bound = std::min<std::int64_t>(bound, options.backoff_max.count());
    return std::chrono::milliseconds(std::uniform_int_distribution<std::int64_t>(0, bound)(rng));
  }

  void retry_later(Conn& c) {
    c.retry_timer.expires_after(backoff(c.failures++));
    c.retry_timer.async_wait([weak = weak_from_this(), &c](error_code ec) {
      auto self = weak.lock();  // before touching c, which lives in *self
      if (!self || self->stopped || ec || c.ac) return;
      self->connect(c);
    });
  }

  // A connect that hangs (a black-holed address) or a handshake Redis never
  // answers would otherwise leave the connection down for good.
  void arm_deadline(Conn& c) {
    c.deadline.expires_after(options.connect_timeout);
    c.deadline.async_wait([weak = weak_from_this(), &c, attempt = c.attempt](error_code ec) {
      auto self = weak.lock();
      if (!self || self->stopped || ec || c.attempt != attempt || !c.ac || c.ready) return;
      log_failure(c, "not ready in time");
      redisAsyncFree(c.ac);  // not inside hiredis here; context_gone() retries
    });
  }

  static void log_failure(const Conn& c, std::string_view why) {
    // The first failure is news; the retries while Redis stays away are not.
    auto level = c.failures == 0 ? spdlog::level::warn : spdlog::level::debug;
    spdlog::log(level, "redis link {}:{} connection={} down: {}", c.link.url.host, c.link.url.port,
                c.name(), why);
  }

  // hiredis's connect callback. It must not free the context: hiredis goes
  // on using it after this returns.
  static void on_connect(const redisAsyncContext* ac, int status) {
    Conn& c = *static_cast<Conn*>(ac->data);
    if (status != REDIS_OK) {
      log_failure(c, ac->errstr);  // hiredis frees the context next: context_gone()
      return;
    }
    c.connected = true;
    if (c.role == Role::commands) {
      c.link.select_database(c);
    } else {
      c.link.resubscribe(c);
    }
  }

  // hiredis's disconnect callback, for a context that had connected (the
  // freeing itself is handled in context_gone()). Same rule as on_connect.
  // REDIS_OK means we freed the context ourselves, and said why.
  static void on_disconnect(const redisAsyncContext* ac, int status) {
    const Conn& c = *static_cast<const Conn*>(ac->data);
    if (status == REDIS_OK) return;
    spdlog::warn("redis link {}:{} connection={} lost: {}", c.link.url.host, c.link.url.port,
                 c.name(), ac->errstr ? ac->errstr : "error");
  }

  // From the cleanup hook, whatever freed the context: a lost or refused
  // connection, the deadline, a failed handshake or stop().
  void context_gone(Conn& c) {
    c.ac = nullptr;
    c.events.reset();
    c.connected = false;
    c.ready = false;
    c.deadline.cancel();
    if (c.role == Role::pubsub) unconfirmed.clear();
    if (stopped) return;
    update_state();
    retry_later(c);
  }

  void became_ready(Conn& c) {
    c.ready = true;
    c.failures = 0;
    c.deadline.cancel();
    spdlog::info("redis link {}:{} connection={} ready", url.host, url.port, c.name());
    update_state();
  }

  void update_state() {
    bool now = up();
    if (now == reported_up) return;
    reported_up = now;
    post([this, now] {
      if (auto handler = on_state) (*handler)(now);
    });
  }

  // ---- the command connection

  void select_database(Conn& c) {
    if (url.db == 0) {  // every connection starts on 0
      became_ready(c);
      return;
    }
    std::string db = std::to_string(url.db);
    const char* argv[] = {"SELECT", db.c_str()};
    const std::size_t lens[] = {6, db.size()};
    // Cannot fail here (the context is neither freeing nor disconnecting);
    // if it ever did, the deadline would retry.
    redisAsyncCommandArgv(c.ac, &Impl::on_select_reply, nullptr, 2, argv, lens);
  }

  static void on_select_reply(redisAsyncContext* ac, void* reply, void*) {
    if (!reply) return;  // the context is being freed
    Conn& c = *static_cast<Conn*>(ac->data);
    auto* r = static_cast<redisReply*>(reply);
    if (r->type == REDIS_REPLY_ERROR) {
      spdlog::error("redis link: SELECT {} failed: {}", c.link.url.db,
                    std::string_view(r->str, r->len));
      redisAsyncFree(ac);  // inside a reply callback hiredis frees once it returns
      return;
    }
    c.link.became_ready(c);
  }

  void command(std::vector<std::string> argv, ReplyHandler done) {
    if (stopped) return;
    if (auto refused = refusal(argv)) {
      fail_later(std::move(done), std::move(*refused));
      return;
    }
    // Not queued while down: a caller would rather hear now than after an
    // outage of unknown length, and Redis's state may have moved on.
    if (!commands.ready) {
      fail_later(std::move(done), "link down");
      return;
    }
    std::vector<const char*> args;
    std::vector<std::size_t> lens;
    args.reserve(argv.size());
    lens.reserve(argv.size());
    for (const std::string& a : argv) {
      args.push_back(a.data());
      lens.push_back(a.size());
    }
    // hiredis owns the handler until it calls on_command_reply, once.
    auto pending = std::make_unique<ReplyHandler>(std::move(done));
    if (redisAsyncCommandArgv(commands.ac, &Impl::on_command_reply, pending.get(),
                              static_cast<int>(args.size()), args.data(),
                              lens.data()) != REDIS_OK) {
      fail_later(std::move(*pending), "link down");
      return;
    }
    pending.release();
  }

  void fail_later(ReplyHandler done, std::string why) {
    if (!done) return;
    post([done = std::move(done), why = std::move(why)]() mutable {
      done(Reply::error(std::move(why)));
    });
  }

  // A null reply: the context is being freed with this command unanswered.
  static void on_command_reply(redisAsyncContext* ac, void* reply, void* privdata) {
    std::unique_ptr<ReplyHandler> done(static_cast<ReplyHandler*>(privdata));
    Impl& link = static_cast<Conn*>(ac->data)->link;
    if (link.stopped || !*done) return;  // stop() abandons commands in flight
    Reply copied =
        reply ? copy_reply(*static_cast<redisReply*>(reply)) : Reply::error("connection lost");
    link.post([done = std::move(*done), copied = std::move(copied)]() mutable {
      done(std::move(copied));
    });
  }

  // ---- the pub/sub connection

  // After every connect: the whole set, in SUBSCRIBEs of up to
  // kResubscribeBatch channels (Redis refuses a command of more than 1M
  // arguments, and a node may hold one channel per online user). The
  // connection is ready when Redis has confirmed each channel (or it was
  // unsubscribed meanwhile).
  static constexpr std::size_t kResubscribeBatch = 1000;

  void resubscribe(Conn& c) {
    unconfirmed = channels;
    if (unconfirmed.empty()) {
      became_ready(c);
      return;
    }
    std::vector<const std::string*> batch;
    for (const std::string& channel : unconfirmed) {
      batch.push_back(&channel);
      if (batch.size() == kResubscribeBatch) {
        send_pubsub("SUBSCRIBE", batch);
        batch.clear();
      }
    }
    if (!batch.empty()) send_pubsub("SUBSCRIBE", batch);
  }

  void send_pubsub(std::string_view verb, const std::vector<const std::string*>& names) {
    std::vector<const char*> args{verb.data()};
    std::vector<std::size_t> lens{verb.size()};
    for (const std::string* channel : names) {
      args.push_back(channel->data());
      lens.push_back(channel->size());
    }
    // UNSUBSCRIBE takes no callback: hiredis hands its confirmations to the
    // channels' SUBSCRIBE callback.
    redisCallbackFn* fn = verb == "SUBSCRIBE" ? &Impl::on_pubsub_reply : nullptr;
    redisAsyncCommandArgv(pubsub.ac, fn, nullptr, static_cast<int>(args.size()), args.data(),
                          lens.data());
  }

  void subscribe(std::string channel) {
    if (stopped) return;
    auto [it, added] = channels.insert(std::move(channel));
    // Not connected yet: resubscribe() sends it with the rest.
    if (added && pubsub.connected) send_pubsub("SUBSCRIBE", {&*it});
  }

  void unsubscribe(const std::string& channel) {
    if (stopped || channels.erase(channel) == 0) return;
    if (pubsub.connected) send_pubsub("UNSUBSCRIBE", {&channel});
    confirmed(channel);  // no longer needed for the link to be up
  }

  void confirmed(const std::string& channel) {
    if (unconfirmed.erase(channel) && unconfirmed.empty() && pubsub.connected && !pubsub.ready) {
      became_ready(pubsub);
    }
  }

  // Every reply on the pub/sub connection: [subscribe|unsubscribe|message,
  // channel, count|payload]; null when the context is being freed.
  static void on_pubsub_reply(redisAsyncContext* ac, void* reply, void*) {
    auto* r = static_cast<redisReply*>(reply);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
    Impl& link = static_cast<Conn*>(ac->data)->link;
    std::string_view kind = text_of(r->element[0]);
    std::string channel(text_of(r->element[1]));
    if (kind == "message") {
      link.deliver(std::move(channel), std::string(text_of(r->element[2])));
    } else if (kind == "subscribe") {
      link.confirmed(channel);
    }
  }

  void deliver(std::string channel, std::string payload) {
    post([this, channel = std::move(channel), payload = std::move(payload)] {
      // Checked now rather than on arrival: once unsubscribe() returns,
      // nothing more arrives from that channel, even what was queued.
      if (!channels.contains(channel)) return;
      if (auto handler = on_message) (*handler)(channel, payload);
    });
  }

  // ---- stopping

  void stop() {
    if (stopped) return;
    stopped = true;
    for (Conn* c : {&commands, &pubsub}) {
      c->retry_timer.cancel();
      c->deadline.cancel();
      // Runs the pending reply callbacks with null replies (dropped, since
      // stopped), then the cleanup hook (context_gone), and closes the socket.
      if (c->ac) redisAsyncFree(c->ac);
    }
    on_state.reset();
    on_message.reset();
  }
};

RedisLink::RedisLink(asio::io_context& io, RedisUrl url, RedisLinkOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(url), options)) {}

RedisLink::~RedisLink() { impl_->stop(); }

void RedisLink::start() { impl_->start(); }
void RedisLink::stop() { impl_->stop(); }
bool RedisLink::up() const { return impl_->up(); }

void RedisLink::set_on_state(StateHandler handler) {
  impl_->on_state = handler ? std::make_shared<const StateHandler>(std::move(handler)) : nullptr;
}

void RedisLink::set_on_message(MessageHandler handler) {
  impl_->on_message =
      handler ? std::make_shared<const MessageHandler>(std::move(handler)) : nullptr;
}

void RedisLink::command(std::vector<std::string> argv, ReplyHandler done) {
  impl_->command(std::move(argv), std::move(done));
}

void RedisLink::subscribe(std::string channel) { impl_->subscribe(std::move(channel)); }
void RedisLink::unsubscribe(std::string channel) { impl_->unsubscribe(channel); }

}  // namespace herald::cluster
