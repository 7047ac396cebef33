// Hub: presence (PROTOCOL.md section 5): user_status on first connect and
// last disconnect, `presence` status changes, invisible mode, and the
// presence audience (every other online user, or the subscribers of
// `presence:<id>` -- followers join that audience with the social issue).
#include "protocol/server_messages.hpp"
#include "realtime/hub.hpp"
#include "util/clock.hpp"

namespace herald::realtime {

void Hub::publish_to_presence_audience(UserId user, const cluster::SharedFrame& frame,
                                       std::string_view type) {
  if (options_.audience == PresenceAudience::all) {
    publish(cluster::Target::to_all_except(user, type), frame);
  } else {
    publish(cluster::Target::to_context("presence:" + std::to_string(raw(user)), user, type), frame);
  }
}

void Hub::announce_status(UserId user, bool online) {
  auto frame = net::make_frame(protocol::user_status(user, online, util::iso8601_now()));
  publish_to_presence_audience(user, frame, "user_status");
}

void Hub::handle_presence(Connection& c, const protocol::PresenceSet& m) {
  auto change = registry_.set_status(c.user, m.status, m.data_json);
  if (change.became_invisible) {
    // Invisible mode: the user appears offline everywhere.
    announce_status(c.user, false);
    return;
  }
  if (change.became_visible) announce_status(c.user, true);
  if (change.visible_now) {
    auto frame = net::make_frame(protocol::presence(c.user, m.status, m.data_json));
    publish_to_presence_audience(c.user, frame, "presence");
  }
}

}  // namespace herald::realtime
