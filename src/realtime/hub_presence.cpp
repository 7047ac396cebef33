// Hub: presence (PROTOCOL.md section 5): user_status on first connect and
// last disconnect, `presence` status changes, invisible mode, and the
// presence audience (every other online user, or the subscribers of
// `presence:<id>` -- followers join that audience with the social issue).
#include "protocol/server_messages.hpp"
#include "realtime/hub.hpp"
#include "util/clock.hpp"

namespace herald::realtime {

// Every numbered event is published exactly once, to every worker (see
// Hub::deliver): the workers' PresenceOrder waits for each number.
void Hub::publish_to_presence_audience(UserId user, const cluster::SharedFrame& frame,
                                       std::string_view type, PresenceSeq seq) {
  cluster::Target target =
      options_.audience == PresenceAudience::all
          ? cluster::Target::to_all_except(user, type)
          : cluster::Target::to_context("presence:" + std::to_string(raw(user)), user, type);
  target.presence_seq = seq;
  publish(target, frame);
}

void Hub::announce_status(UserId user, bool online, PresenceSeq seq) {
  auto frame = net::make_frame(protocol::user_status(user, online, util::iso8601_now()));
  publish_to_presence_audience(user, frame, "user_status", seq);
}

void Hub::handle_presence(Connection& c, const protocol::PresenceSet& m) {
  auto change = registry_.set_status(c.user, m.status, m.data_json);
  // Invisible mode: the user appears offline everywhere.
  if (change.became_invisible) announce_status(c.user, false, change.status_seq);
  if (change.became_visible) announce_status(c.user, true, change.status_seq);
  if (change.visible_now) {
    auto frame = net::make_frame(protocol::presence(c.user, m.status, m.data_json));
    publish_to_presence_audience(c.user, frame, "presence", change.presence_seq);
  }
}

}  // namespace herald::realtime
