#include "realtime/hub.hpp"

#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "auth/jwt.hpp"
#include "protocol/server_messages.hpp"
#include "realtime/delivery.hpp"
#include "util/clock.hpp"
#include "util/metrics.hpp"
#include "util/worker_pool.hpp"

namespace herald::realtime {

struct Hub::Timers {
  std::vector<std::unique_ptr<boost::asio::steady_timer>> sweep;  // one per worker
};

Hub::Hub(HubOptions options, util::WorkerPool& workers, const auth::JwtVerifier& verifier,
         UserDirectory& directory, PresenceRegistry& registry, Delivery& delivery,
         cluster::Broker& broker, ChatStore& chats, UserStore& users, MailboxReader& mailbox,
         const FollowGraph& follows)
    : options_(std::move(options)),
      workers_(workers),
      verifier_(verifier),
      delivery_(delivery),
      presence_(options_.audience, registry, broker),
      access_(options_.audience, follows),
      typing_(options_.max_subscriptions, directory, registry, delivery, broker, &access_),
      chat_(directory, chats, delivery, broker),
      replay_(mailbox, directory, delivery),
      mailbox_(mailbox),
      directory_(directory),
      admission_({options_.max_connections_per_user, options_.heartbeat_interval_s}, verifier,
                 directory, registry, delivery, users, presence_, typing_, replay_),
      timers_(std::make_unique<Timers>()) {
  for (unsigned w = 0; w < workers_.size(); ++w) {
    timers_->sweep.push_back(std::make_unique<boost::asio::steady_timer>(workers_.context(w)));
  }
}

Hub::~Hub() = default;

void Hub::enable_shared_storage(UserReader& users) {
  gaps_ = std::make_unique<MailboxGaps>(mailbox_, directory_, delivery_);
  admission_.set_shared_storage(gaps_.get(), &users);
}

void Hub::set_shared_presence(SharedPresence* shared) {
  presence_.set_shared(shared);
  admission_.set_shared(shared, &delivery_);
}

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
  delivery_.for_each_on(worker, [now](Connection& c) {
    if (c.token_expires_at <= now && c.open()) c.close(net::CloseCode::token_expired, "token expired");
  });
}

void Hub::shutdown() {
  shutting_down_.store(true);
  for (unsigned w = 0; w < workers_.size(); ++w) {
    delivery_.post(w, [this, w] { timers_->sweep[w]->cancel(); });
  }
  delivery_.close_all(net::CloseCode::going_away, "server shutting down");
}

std::shared_ptr<net::SessionObserver> Hub::on_open(std::shared_ptr<net::Session> session,
                                                   net::UpgradeInfo info) {
  auto c = std::make_shared<Connection>(
      *this, delivery_, std::move(session),
      RateLimiter(options_.rate_per_s, options_.rate_burst, options_.abuse_drops));
  if (shutting_down_.load()) {
    c->close(net::CloseCode::going_away, "server shutting down");
    return c;
  }
  admission_.open(c, info);
  return c;
}

void Hub::on_closed(Connection& c, std::uint16_t code) {
  util::metrics().close(code);
  admission_.close(c, code);
}

void Hub::on_message(Connection& c, std::string_view text) {
  if (!c.attached) return;  // still being admitted, or already leaving
  switch (c.limiter.take(RateLimiter::Clock::now())) {
    case RateLimiter::Verdict::allow:
      break;
    case RateLimiter::Verdict::drop:
      c.send_error(protocol::ErrorCode::rate_limited, "rate limit exceeded; message dropped");
      return;
    case RateLimiter::Verdict::drop_and_close:
      c.send_error(protocol::ErrorCode::rate_limited, "rate limit exceeded; message dropped");
      spdlog::warn("rate limit abuse user={} conn={}", raw(c.user), to_string(c.id()));
      c.close(net::CloseCode::policy_violation, "rate limit abuse");
      return;
  }
  auto parsed = protocol::parse_client_message(text, options_.limits);
  if (!parsed) {
    util::metrics().message_in("invalid");
    c.send_error(parsed.error().code, parsed.error().message, parsed.error().ref);
    return;
  }
  util::metrics().message_in(protocol::message_type_name(*parsed));
  try {
    std::visit(
        [&](const auto& m) {
          using T = std::decay_t<decltype(m)>;
          if constexpr (std::is_same_v<T, protocol::Ping>) {
            c.send(net::make_frame(protocol::pong(util::iso8601_now())), "pong");
          } else if constexpr (std::is_same_v<T, protocol::Typing>) {
            typing_.typing(c, m);
          } else if constexpr (std::is_same_v<T, protocol::Subscribe>) {
            typing_.subscribe(c, m);
          } else if constexpr (std::is_same_v<T, protocol::Unsubscribe>) {
            typing_.unsubscribe(c, m);
          } else if constexpr (std::is_same_v<T, protocol::PresenceSet>) {
            presence_.set_status(c, m);
          } else if constexpr (std::is_same_v<T, protocol::ChatSend>) {
            chat_.send(c, m);
          } else if constexpr (std::is_same_v<T, protocol::AuthRefresh>) {
            handle_auth(c, m);
          }
        },
        *parsed);
  } catch (const std::exception& e) {
    spdlog::error("message handling failed user={}: {}", raw(c.user), e.what());
    c.send_error(protocol::ErrorCode::message_processing_error, "internal error");
  }
}

// In-band token refresh (PROTOCOL.md 2): same user required; the new token's
// expiry replaces the old one. A bad token is an error, not a close: the
// old token stays valid until its own exp.
void Hub::handle_auth(Connection& c, const protocol::AuthRefresh& m) {
  auto claims = verifier_.verify(m.token, util::unix_seconds_now(), auth::TokenType::access);
  if (!claims) {
    c.send_error(protocol::ErrorCode::invalid_token, auth::describe(claims.error()));
    return;
  }
  if (claims->user_id != c.user) {
    c.send_error(protocol::ErrorCode::invalid_token, "token belongs to another user");
    return;
  }
  c.token_expires_at = claims->exp;
  c.send(net::make_frame(protocol::auth_ok(util::iso8601_from_unix_ms(claims->exp * 1000))),
         "auth_ok");
}

}  // namespace herald::realtime
