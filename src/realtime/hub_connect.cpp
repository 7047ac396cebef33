// Hub: opening, admitting and closing connections; the token-expiry sweep;
// local delivery across workers; shutdown.
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "protocol/server_messages.hpp"
#include "realtime/broadcast_window.hpp"
#include "realtime/hub.hpp"
#include "store/storage_runner.hpp"
#include "util/clock.hpp"
#include "util/metrics.hpp"
#include "util/worker_pool.hpp"

namespace herald::realtime {

// Per worker: the token-expiry sweep, and the end of the broadcast window.
struct Hub::WorkerTimers {
  std::vector<std::unique_ptr<boost::asio::steady_timer>> sweep;
  std::vector<std::unique_ptr<boost::asio::steady_timer>> broadcast;
};

Hub::Hub(HubOptions options, util::WorkerPool& workers, store::StorageRunner& storage,
         const auth::JwtVerifier& verifier, UserDirectory& directory)
    : options_(std::move(options)),
      workers_(workers),
      storage_(storage),
      verifier_(verifier),
      directory_(directory),
      timers_(std::make_unique<WorkerTimers>()) {
  for (unsigned w = 0; w < workers_.size(); ++w) {
    worker_hubs_.push_back(std::make_unique<WorkerHub>());
    timers_->sweep.push_back(std::make_unique<boost::asio::steady_timer>(workers_.context(w)));
    timers_->broadcast.push_back(std::make_unique<boost::asio::steady_timer>(workers_.context(w)));
  }
}

Hub::~Hub() = default;

void Hub::start() {
  for (unsigned w = 0; w < workers_.size(); ++w) schedule_sweep(w);
}

void Hub::schedule_sweep(unsigned worker) {
  auto& timer = *timers_->sweep[worker];
  timer.expires_after(std::chrono::seconds(1));
  timer.async_wait([this, worker](boost::system::error_code ec) {
    if (ec || shutting_down_.load()) return;
    sweep_expired(worker);
    schedule_sweep(worker);
  });
}

// Closes connections whose token has expired (4003, PROTOCOL.md 2). One
// pass a second over the worker's connections: O(n) but a few hundred
// microseconds for 100k connections, and no timer per connection.
void Hub::sweep_expired(unsigned worker) {
  std::int64_t now = util::unix_seconds_now();
  worker_hubs_[worker]->for_each([now](Connection& c) {
    if (c.token_expires_at <= now && c.open()) c.close(net::CloseCode::token_expired, "token expired");
  });
}

std::shared_ptr<net::SessionObserver> Hub::on_open(std::shared_ptr<net::Session> session,
                                                   net::UpgradeInfo info) {
  auto c = std::make_shared<Connection>(
      *this, session, RateLimiter(options_.rate_per_s, options_.rate_burst, options_.abuse_drops));
  if (shutting_down_.load()) {
    c->close(net::CloseCode::going_away, "server shutting down");
    return c;
  }
  if (info.token.empty()) {
    c->close(net::CloseCode::invalid_token, "missing token");
    return c;
  }
  auto claims = verifier_.verify(info.token, util::unix_seconds_now(), auth::TokenType::access);
  if (!claims) {
    bool expired = claims.error() == auth::TokenError::expired;
    spdlog::info("ws rejected remote={} reason=\"{}\"", info.remote_address,
                 auth::describe(claims.error()));
    c->close(expired ? net::CloseCode::token_expired : net::CloseCode::invalid_token,
             expired ? "token expired" : "invalid token");
    return c;
  }
  c->user = claims->user_id;
  c->token_expires_at = claims->exp;
  auto known = directory_.find(c->user);
  c->username = claims->username ? *claims->username
                : known          ? known->username
                                 : "user" + std::to_string(raw(c->user));
  if (!known) remember_new_user(c->user, c->username);
  admit(c);
  return c;
}

// First sight of a user (PROTOCOL.md 1: any valid token's user exists).
// The directory learns them at once, so chats addressed to them from now
// on find them, and the row is written behind: the writer runs jobs in
// order, so this insert commits before any chat that names them. The
// connection does not wait for it (a storage round trip per new user was
// most of the set-up cost); if it fails, the user lives in memory until
// their next connection after a restart writes it again.
void Hub::remember_new_user(UserId user, const std::string& username) {
  std::int64_t now_ms = util::unix_ms_now();
  directory_.put(user, username, Seq{0}, now_ms, now_ms);
  store::StorageJob job;
  job.work = [user, username, now_ms](store::Database& db) -> std::function<void()> {
    db.add_user_if_absent(user, username, now_ms);
    return {};
  };
  job.fail = [user](std::exception_ptr) {
    spdlog::warn("could not store new user={}; kept in memory", raw(user));
  };
  job.background = true;
  storage_.write(std::move(job));
}

void Hub::admit(const std::shared_ptr<Connection>& c) {
  if (shutting_down_.load()) {
    c->close(net::CloseCode::going_away, "server shutting down");
    return;
  }
  unsigned worker = c->worker();
  auto attach = registry_.attach(c->user, worker, options_.max_connections_per_user);
  if (!attach.accepted) {
    c->close(net::CloseCode::too_many_connections, "too many connections");
    return;
  }
  c->attached = true;
  worker_hubs_[worker]->add(c);
  std::int64_t now_ms = util::unix_ms_now();
  directory_.set_last_seen(c->user, now_ms);
  auto entry = directory_.find(c->user);

  protocol::ConnectedInfo welcome;
  welcome.username = c->username;
  welcome.user_id = c->user;
  welcome.online_count = registry_.online_count();
  welcome.connection_id = to_string(c->id());
  welcome.server_time = util::iso8601_from_unix_ms(now_ms);
  welcome.heartbeat_interval = options_.heartbeat_interval_s;
  welcome.unread_notifications = 0;
  welcome.last_seq = entry ? raw(entry->last_seq) : 0;
  c->send(net::make_frame(protocol::connected(welcome)), "connected");
  spdlog::info("ws connected user={} conn={} worker={}", raw(c->user), to_string(c->id()), worker);

  // The status broadcast runs after the welcome is queued: the newcomer
  // never waits behind the fan-out (PROTOCOL.md 5, "Cost").
  if (attach.became_online) announce_status(c->user, true);
}

void Hub::on_closed(Connection& c, std::uint16_t code) {
  util::metrics().close(code);
  if (!c.attached) return;
  spdlog::info("ws disconnected user={} conn={} code={}", raw(c.user), to_string(c.id()), code);
  stop_typing(c);
  unsigned worker = c.worker();
  c.attached = false;
  auto detach = registry_.detach(c.user, worker);
  worker_hubs_[worker]->remove(c);
  if (!detach.last_connection) return;
  std::int64_t now_ms = util::unix_ms_now();
  directory_.set_last_seen(c.user, now_ms);
  UserId user = c.user;
  store::StorageJob job;
  job.work = [user, now_ms](store::Database& db) -> std::function<void()> {
    db.set_last_seen(user, now_ms);
    return {};
  };
  job.fail = [user](std::exception_ptr) {
    spdlog::warn("could not persist last_seen user={}", raw(user));
  };
  job.background = true;
  storage_.write(std::move(job));
  if (detach.was_visible) announce_status(user, false);
}

void Hub::deliver(const cluster::Target& target, const cluster::SharedFrame& frame) {
  auto run_on = [&](unsigned w) {
    workers_.dispatch(w, [this, w, target, frame] { deliver_on_worker(w, target, frame); });
  };
  if (target.kind == cluster::Target::Kind::user) {
    std::uint64_t mask = registry_.workers_of(target.user);
    for (unsigned w = 0; mask != 0 && w < workers_.size(); ++w, mask >>= 1) {
      if (mask & 1) run_on(w);
    }
  } else {
    for (unsigned w = 0; w < workers_.size(); ++w) run_on(w);
  }
}

// Messages to a user go out at once; broadcasts wait for the worker's
// batch window (HubOptions::broadcast_batch_ms) and then leave together.
void Hub::deliver_on_worker(unsigned worker, const cluster::Target& target,
                            const cluster::SharedFrame& frame) {
  if (target.kind == cluster::Target::Kind::user || options_.broadcast_batch_ms <= 0) {
    worker_hubs_[worker]->deliver(target, frame);
    return;
  }
  if (!worker_hubs_[worker]->queue_broadcast(target, frame)) return;  // the timer is armed
  BroadcastWindow window{std::chrono::milliseconds(options_.broadcast_batch_ms),
                         std::chrono::milliseconds(options_.broadcast_batch_max_ms)};
  auto wait = window.after(worker_hubs_[worker]->last_broadcast_flush());
  auto& timer = *timers_->broadcast[worker];
  timer.expires_after(wait);
  timer.async_wait([this, worker, wait, &timer](boost::system::error_code ec) {
    if (ec) return;
    auto started = std::chrono::steady_clock::now();
    std::size_t broadcasts = worker_hubs_[worker]->flush_broadcasts();
    // The writes happen in the flush handler the frames posted; this runs
    // after it (one thread, handlers in order), so the cost includes them.
    boost::asio::post(timer.get_executor(), [this, worker, wait, started, broadcasts] {
      auto cost = std::chrono::steady_clock::now() - started;
      worker_hubs_[worker]->set_last_broadcast_flush(
          {wait, std::chrono::duration_cast<std::chrono::microseconds>(cost), broadcasts});
    });
  });
}

void Hub::post_to_worker(unsigned worker, std::function<void()> fn) {
  workers_.post(worker, std::move(fn));
}

void Hub::publish(const cluster::Target& target, const cluster::SharedFrame& frame) {
  if (broker_) broker_->publish(target, frame);
}

void Hub::shutdown() {
  shutting_down_.store(true);
  for (unsigned w = 0; w < workers_.size(); ++w) {
    workers_.post(w, [this, w] {
      timers_->sweep[w]->cancel();
      timers_->broadcast[w]->cancel();
      worker_hubs_[w]->for_each(
          [](Connection& c) { c.close(net::CloseCode::going_away, "server shutting down"); });
    });
  }
}

}  // namespace herald::realtime
