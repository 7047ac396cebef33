#include "api/notification_publish.hpp"

#include <memory>
#include <string>

#include "api/social_rules.hpp"
#include "cluster/broker.hpp"
#include "realtime/user_directory.hpp"
#include "util/clock.hpp"

namespace herald::api {

protocol::NotificationEvent notification_event(const store::NotificationRecord& n, bool with_seq) {
  protocol::NotificationEvent e;
  if (with_seq) e.seq = n.seq;
  e.id = raw(n.id);
  e.type = n.content.type;
  e.title = n.content.title;
  e.message = n.content.message;
  e.data_json = n.content.data_json;
  e.link = n.content.link;
  e.read = n.read;
  e.created_at = util::iso8601_from_unix_ms(n.created_at_ms);
  return e;
}

void publish_stored(cluster::Broker& broker, realtime::UserDirectory& directory,
                    const std::vector<store::NotificationRecord>& stored) {
  if (stored.empty()) return;
  const std::string now = util::iso8601_now();
  for (const auto& n : stored) {
    // Counted before the frame leaves: a connection opened from here on
    // reports the seq and the unread count including this one.
    directory.advance_seq(n.user, n.seq);
    directory.add_unread(n.user, 1);
    cluster::Target target = cluster::Target::to_user(n.user, "notification");
    target.mailbox_seq = static_cast<std::uint64_t>(raw(n.seq));
    broker.publish(target, std::make_shared<const std::string>(
                               protocol::notification(notification_event(n, true), now)));
  }
}

std::vector<store::NotificationRecord> store_planned(store::Database& db, const Recipients& recipients,
                                                     std::int64_t now_ms) {
  std::vector<store::NotificationRecord> stored;
  for (const auto& p : recipients.planned()) {
    auto rows = db.insert_notifications({p.user}, p.content, now_ms);
    stored.insert(stored.end(), std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()));
  }
  return stored;
}

}  // namespace herald::api
