#include "realtime/presence_flow.hpp"

#include "protocol/server_messages.hpp"
#include "realtime/connection.hpp"
#include "realtime/presence_registry.hpp"
#include "realtime/shared_presence.hpp"
#include "util/clock.hpp"

namespace herald::realtime {

void PresenceFlow::publish(UserId user, const cluster::SharedFrame& frame, std::string_view type,
                           PresenceSeq seq) {
  cluster::Target target = audience_ == PresenceAudience::all
                               ? cluster::Target::to_all_except(user, type)
                               : cluster::Target::to_followers_of(user, type);
  target.presence_seq = seq;
  broker_.publish(target, frame);
}

void PresenceFlow::announce_status(UserId user, bool online, PresenceSeq seq) {
  auto frame = net::make_frame(protocol::user_status(user, online, util::iso8601_now()));
  publish(user, frame, "user_status", seq);
}

void PresenceFlow::set_status(Connection& c, const protocol::PresenceSet& m) {
  if (!registry_.take_broadcast(c.user, BroadcastKind::presence, TokenBucket::Clock::now())) {
    c.send_error(protocol::ErrorCode::rate_limited,
                 "too many presence updates for this user; message dropped");
    return;
  }
  if (shared_) {
    shared_->set_status(c.user, m.status, m.data_json);
    return;
  }
  auto change = registry_.set_status(c.user, m.status, m.data_json);
  if (change.unchanged) return;
  // Invisible mode: the user appears offline everywhere.
  if (change.became_invisible) announce_status(c.user, false, change.status_seq);
  if (change.became_visible) announce_status(c.user, true, change.status_seq);
  if (change.visible_now) {
    auto frame = net::make_frame(protocol::presence(c.user, m.status, m.data_json));
    publish(c.user, frame, "presence", change.presence_seq);
  }
}

}  // namespace herald::realtime
