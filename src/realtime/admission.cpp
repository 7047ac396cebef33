#include "realtime/admission.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "auth/jwt.hpp"
#include "protocol/server_messages.hpp"
#include "realtime/connection.hpp"
#include "realtime/mailbox_replay.hpp"
#include "realtime/ports.hpp"
#include "realtime/presence_flow.hpp"
#include "realtime/presence_registry.hpp"
#include "realtime/shared_presence.hpp"
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
  admit(c, info.since);
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

namespace {
// `since`: a seq, a non-negative integer. nullopt when absent or malformed
// (a malformed one is answered with `resync: true`).
std::optional<std::uint64_t> parse_since(const std::string& since) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(since.data(), since.data() + since.size(), value);
  if (since.empty() || ec != std::errc() || end != since.data() + since.size()) return std::nullopt;
  return value;
}
}  // namespace

void Admission::admit(const std::shared_ptr<Connection>& c, const std::string& since) {
  auto attach = registry_.attach(c->user, c->worker(), options_.max_connections_per_user);
  if (!attach.accepted) {
    c->close(net::CloseCode::too_many_connections, "too many connections");
    return;
  }
  c->counted = true;
  if (shared_) {
    bool first_here = attach.became_online;
    shared_->attach(c->user, c->username,
                    [this, c, since, first_here](std::optional<PresenceSnapshot> snapshot) {
                      posts_->post(c->worker(), [this, c, since, snapshot, first_here] {
                        admit_shared(c, since, snapshot, first_here);
                      });
                    });
    return;
  }
  // The snapshot was taken on this worker at the attach: every presence
  // event numbered up to it is in the count, and every later one reaches
  // this worker (in number order) only after this returns, so the
  // connection receives exactly those (PROTOCOL.md 5).
  welcome(c, since, attach.snapshot, attach.became_online);
  // The status broadcast runs after the welcome is queued: the newcomer
  // never waits behind the fan-out (PROTOCOL.md 5, "Cost").
  if (attach.became_online) presence_.announce_status(c->user, true, attach.seq);
}

// The cluster numbered this connection's attach `snapshot->seq`. Its worker
// may already have released later events of the stream (the answer and the
// stream come over different Redis connections): the connection is sent
// those first, and takes the rest from the tables like everyone else.
void Admission::admit_shared(const std::shared_ptr<Connection>& c, const std::string& since,
                             std::optional<PresenceSnapshot> snapshot, bool first_here) {
  if (!c->counted || !c->open()) return;  // closed while the cluster answered
  PresenceSeq passed = tables_.presence_passed(c->worker());
  std::vector<cluster::SharedFrame> missed;
  if (!snapshot) {
    // Redis away: welcomed from this node's mirror; the counts catch up when
    // the link returns (ClusterPresence rebuilds this node's share).
    snapshot = shared_->local_snapshot();
    snapshot->seq = std::max(snapshot->seq, passed);
  } else if (passed > snapshot->seq) {
    auto frames = shared_->events_between(snapshot->seq, passed, c->user);
    if (frames) {
      missed = std::move(*frames);
    } else {
      spdlog::warn("ws presence stream of conn={} is not exact: events {}..{} are gone",
                   to_string(c->id()), snapshot->seq + 1, passed);
    }
    snapshot->seq = passed;
  }
  welcome(c, since, *snapshot, first_here, std::move(missed));
}

void Admission::welcome(const std::shared_ptr<Connection>& c, const std::string& since,
                        const PresenceSnapshot& snapshot, bool first_here,
                        std::vector<cluster::SharedFrame> missed) {
  c->attached = true;
  tables_.add(c);
  c->presence_from = snapshot.seq;
  if (!user_reader_) {
    send_welcome(c, since, snapshot, first_here, missed);
    return;
  }
  // Shared storage: in the tables first (every event committed from now on
  // reaches it, held), then the stored seq and mark, which cover every
  // event committed before; a seq between the two is filled from storage.
  c->set_gap_filler(gaps_);
  c->hold();
  // First in the held queue: the welcome goes in front of them, the live
  // events that arrive during the read behind them.
  for (const auto& frame : missed) c->send(frame, "user_status");
  user_reader_->read_user(c->user, [this, c, since, snapshot, first_here](std::optional<store::UserRecord> record) {
    posts_->post(c->worker(), [this, c, since, snapshot, first_here, record] {
      if (!c->attached) return;  // closed meanwhile
      if (record) {
        directory_.advance_seq(c->user, record->last_seq);
        directory_.raise_mailbox_mark(c->user, record->mailbox_mark);
      }
      send_welcome(c, since, snapshot, first_here, {});
    });
  });
}

void Admission::send_welcome(const std::shared_ptr<Connection>& c, const std::string& since,
                             const PresenceSnapshot& snapshot, bool first_here,
                             const std::vector<cluster::SharedFrame>& missed) {
  std::int64_t now_ms = util::unix_ms_now();
  directory_.set_last_seen(c->user, now_ms);
  // Read after the attach: a mailbox event published before it has its
  // seq in here (the seq is advanced first), and every later one reaches
  // this connection.
  auto entry = directory_.find(c->user);
  std::uint64_t last_seq = entry ? raw(entry->last_seq) : 0;

  protocol::ConnectedInfo welcome;
  welcome.username = c->username;
  welcome.user_id = c->user;
  welcome.online_count = snapshot.online_count;
  welcome.connection_id = to_string(c->id());
  welcome.server_time = util::iso8601_from_unix_ms(now_ms);
  welcome.heartbeat_interval = options_.heartbeat_interval_s;
  welcome.unread_notifications = entry ? entry->unread_notifications : 0;
  welcome.last_seq = static_cast<std::int64_t>(last_seq);

  // What to replay (PROTOCOL.md 4.3): after `since` when given; else, for
  // a user who had no open connection, the offline queue (after the mark
  // their last connection left); else nothing (their other connections
  // have had every event).
  auto after = parse_since(since);
  if (!since.empty() && !after) welcome.resync = true;
  if (!after && since.empty() && first_here && entry) after = raw(entry->mailbox_mark);
  spdlog::info("ws connected user={} conn={} worker={}", raw(c->user), to_string(c->id()),
               c->worker());
  if (after && *after < last_seq) {
    replay_.start(c, Seq{static_cast<std::int64_t>(*after)}, welcome);
  } else {
    // A `since` beyond this mailbox's last seq is not this mailbox's: resync.
    if (after && *after > last_seq) welcome.resync = true;
    c->mailbox_seq = last_seq;
    auto connected = net::make_frame(protocol::connected(welcome));
    if (c->holding()) {
      c->release({{connected, "connected"}});  // then what arrived during the read
    } else {
      c->send(connected, "connected");
    }
  }
  // After `connected` (a replay holds them behind its own frames).
  for (const auto& frame : missed) c->send(frame, "user_status");
}

void Admission::close(Connection& c, std::uint16_t code) {
  if (!c.counted) return;
  spdlog::info("ws disconnected user={} conn={} code={}", raw(c.user), to_string(c.id()), code);
  c.counted = false;
  if (c.attached) {
    typing_.stop_typing(c);
    c.attached = false;
    // Before the detach: a connection opened once this one is gone finds
    // the offline queue starting after what this one had.
    // Not from a connection cut short: one mid-replay, or one closed 4010
    // whose queued events were dropped (its client is owed them).
    if (!c.holding() && code != static_cast<std::uint16_t>(net::CloseCode::slow_consumer))
      directory_.raise_mailbox_mark(c.user, Seq{static_cast<std::int64_t>(c.mailbox_seq)});
    tables_.remove(c);
  }
  auto detach = registry_.detach(c.user, c.worker());
  // After the attach on the same Redis connection, even when the attach's
  // answer has not come back yet: Redis applies them in that order.
  if (shared_) shared_->detach(c.user);
  if (!detach.last_connection) return;
  std::int64_t now_ms = util::unix_ms_now();
  directory_.set_last_seen(c.user, now_ms);
  users_.remember_last_seen(c.user, now_ms);
  if (auto entry = directory_.find(c.user)) users_.remember_mailbox_mark(c.user, entry->mailbox_mark);
  if (detach.was_visible && !shared_) presence_.announce_status(c.user, false, detach.seq);
}

}  // namespace herald::realtime
