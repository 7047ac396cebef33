// Hub: the dispatch of client messages (rate limit, parse, route by type),
// in-band token refresh, errors; and Connection's own small methods.
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "protocol/server_messages.hpp"
#include "realtime/hub.hpp"
#include "util/clock.hpp"
#include "util/metrics.hpp"
#include "util/worker_pool.hpp"

namespace herald::realtime {

void Connection::on_text(std::string_view text) { hub_.on_message(*this, text); }

void Connection::on_closed(std::uint16_t code) {
  // The transport may report the close from inside a send() that is part of
  // a fan-out loop over the WorkerHub's tables; unregistering right here
  // would change those tables under the loop. So the hub hears of it from
  // a fresh turn of the worker's event loop.
  auto self = shared_from_this();
  hub_.post_to_worker(worker(), [self, code] { self->hub_.on_closed(*self, code); });
}

net::SendResult Connection::send(const cluster::SharedFrame& frame, std::string_view type) {
  auto result = session_->send(frame);
  if (result == net::SendResult::queued) {
    util::metrics().message_out(type);
  } else if (result == net::SendResult::overflow) {
    util::metrics().send_queue_drop();
    spdlog::warn("slow consumer closed user={} conn={}", raw(user), to_string(id()));
  }
  return result;
}

void Connection::close(net::CloseCode code, std::string_view reason) { session_->close(code, reason); }

void Hub::send_error(Connection& c, protocol::ErrorCode code, std::string_view message,
                     const std::optional<std::string>& ref) {
  util::metrics().error(protocol::to_string(code));
  c.send(net::make_frame(protocol::error(code, message, ref, util::iso8601_now())), "error");
}

void Hub::on_message(Connection& c, std::string_view text) {
  if (!c.attached) return;  // still being admitted, or already leaving
  switch (c.limiter.take(RateLimiter::Clock::now())) {
    case RateLimiter::Verdict::allow:
      break;
    case RateLimiter::Verdict::drop:
      send_error(c, protocol::ErrorCode::rate_limited, "rate limit exceeded; message dropped");
      return;
    case RateLimiter::Verdict::drop_and_close:
      send_error(c, protocol::ErrorCode::rate_limited, "rate limit exceeded; message dropped");
      spdlog::warn("rate limit abuse user={} conn={}", raw(c.user), to_string(c.id()));
      c.close(net::CloseCode::policy_violation, "rate limit abuse");
      return;
  }
  auto parsed = protocol::parse_client_message(text, options_.limits);
  if (!parsed) {
    util::metrics().message_in("invalid");
    send_error(c, parsed.error().code, parsed.error().message, parsed.error().ref);
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
            handle_typing(c, m);
          } else if constexpr (std::is_same_v<T, protocol::Subscribe>) {
            handle_subscribe(c, m);
          } else if constexpr (std::is_same_v<T, protocol::Unsubscribe>) {
            handle_unsubscribe(c, m);
          } else if constexpr (std::is_same_v<T, protocol::PresenceSet>) {
            handle_presence(c, m);
          } else if constexpr (std::is_same_v<T, protocol::ChatSend>) {
            handle_chat(c, m);
          } else if constexpr (std::is_same_v<T, protocol::AuthRefresh>) {
            handle_auth(c, m);
          }
        },
        *parsed);
  } catch (const std::exception& e) {
    spdlog::error("message handling failed user={}: {}", raw(c.user), e.what());
    send_error(c, protocol::ErrorCode::message_processing_error, "internal error");
  }
}

// In-band token refresh (PROTOCOL.md 2): same user required; the new token's
// expiry replaces the old one. A bad token is an error, not a close: the
// old token stays valid until its own exp.
void Hub::handle_auth(Connection& c, const protocol::AuthRefresh& m) {
  auto claims = verifier_.verify(m.token, util::unix_seconds_now(), auth::TokenType::access);
  if (!claims) {
    send_error(c, protocol::ErrorCode::invalid_token, auth::describe(claims.error()));
    return;
  }
  if (claims->user_id != c.user) {
    send_error(c, protocol::ErrorCode::invalid_token, "token belongs to another user");
    return;
  }
  c.token_expires_at = claims->exp;
  c.send(net::make_frame(protocol::auth_ok(util::iso8601_from_unix_ms(claims->exp * 1000))),
         "auth_ok");
}

}  // namespace herald::realtime
