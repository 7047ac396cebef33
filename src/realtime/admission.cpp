#include "realtime/admission.hpp"

#include <spdlog/spdlog.h>

#include "auth/jwt.hpp"
#include "protocol/server_messages.hpp"
#include "realtime/connection.hpp"
#include "realtime/ports.hpp"
#include "realtime/presence_flow.hpp"
#include "realtime/presence_registry.hpp"
#include "realtime/typing_flow.hpp"
#include "realtime/user_directory.hpp"
#include "util/clock.hpp"

namespace herald::realtime {

void Admission::open(const std::shared_ptr<Connection>& c, const net::UpgradeInfo& info) {
  if (info.token.empty()) {
    c->close(net::CloseCode::invalid_token, "missing token");
    return;
  }
  auto claims = verifier_.verify(info.token, util::unix_seconds_now(), auth::TokenType::access);
  if (!claims) {
    bool expired = claims.error() == auth::TokenError::expired;
    spdlog::info("ws rejected remote={} reason=\"{}\"", info.remote_address,
                 auth::describe(claims.error()));
    c->close(expired ? net::CloseCode::token_expired : net::CloseCode::invalid_token,
             expired ? "token expired" : "invalid token");
    return;
  }
  c->user = claims->user_id;
  c->token_expires_at = claims->exp;
  auto known = directory_.find(c->user);
  c->username = claims->username ? *claims->username
                : known          ? known->username
                                 : "user" + std::to_string(raw(c->user));
  if (!known) remember_new_user(c->user, c->username);
  admit(c);
}

// First sight of a user (PROTOCOL.md 1: any valid token's user exists).
// The directory learns them at once, so chats addressed to them from now
// on find them, and the row is written behind (UserStore): the connection
// does not wait for it (a storage round trip per new user was most of the
// set-up cost); if it fails, the user lives in memory until their next
// connection after a restart writes it again.
void Admission::remember_new_user(UserId user, const std::string& username) {
  std::int64_t now_ms = util::unix_ms_now();
  directory_.put(user, username, Seq{0}, now_ms, now_ms);
  users_.remember_user(user, username, now_ms);
}

void Admission::admit(const std::shared_ptr<Connection>& c) {
  auto attach = registry_.attach(c->user, c->worker(), options_.max_connections_per_user);
  if (!attach.accepted) {
    c->close(net::CloseCode::too_many_connections, "too many connections");
    return;
  }
  c->attached = true;
  tables_.add(c);
  // The snapshot was taken on this worker at the attach: every presence
  // event numbered up to it is in the count, and every later one reaches
  // this worker (in number order) only after this returns, so the
  // connection receives exactly those (PROTOCOL.md 5).
  const PresenceSnapshot& snapshot = attach.snapshot;
  c->presence_from = snapshot.seq;
  std::int64_t now_ms = util::unix_ms_now();
  directory_.set_last_seen(c->user, now_ms);
  auto entry = directory_.find(c->user);

  protocol::ConnectedInfo welcome;
  welcome.username = c->username;
  welcome.user_id = c->user;
  welcome.online_count = snapshot.online_count;
  welcome.connection_id = to_string(c->id());
  welcome.server_time = util::iso8601_from_unix_ms(now_ms);
  welcome.heartbeat_interval = options_.heartbeat_interval_s;
  welcome.unread_notifications = entry ? entry->unread_notifications : 0;
  welcome.last_seq = entry ? raw(entry->last_seq) : 0;
  c->send(net::make_frame(protocol::connected(welcome)), "connected");
  spdlog::info("ws connected user={} conn={} worker={}", raw(c->user), to_string(c->id()),
               c->worker());

  // The status broadcast runs after the welcome is queued: the newcomer
  // never waits behind the fan-out (PROTOCOL.md 5, "Cost").
  if (attach.became_online) presence_.announce_status(c->user, true, attach.seq);
}

void Admission::close(Connection& c, std::uint16_t code) {
  if (!c.attached) return;
  spdlog::info("ws disconnected user={} conn={} code={}", raw(c.user), to_string(c.id()), code);
  typing_.stop_typing(c);
  c.attached = false;
  auto detach = registry_.detach(c.user, c.worker());
  tables_.remove(c);
  if (!detach.last_connection) return;
  std::int64_t now_ms = util::unix_ms_now();
  directory_.set_last_seen(c.user, now_ms);
  users_.remember_last_seen(c.user, now_ms);
  if (detach.was_visible) presence_.announce_status(c.user, false, detach.seq);
}

}  // namespace herald::realtime
