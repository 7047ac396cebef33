#pragma once
// Live delivery of stored notifications. publish_stored() is what every
// notifying write job passes to store::write as its commit hook: it runs on
// the storage writer thread right after the commit, in commit order, so a
// user's mailbox events (chats and notifications share the seq) reach their
// connections in seq order (PROTOCOL.md 4.3). It also keeps the directory's
// last seq and unread count in step with what is stored.
#include <vector>

#include "protocol/server_messages.hpp"
#include "store/database.hpp"

namespace herald::cluster {
class Broker;
}
namespace herald::realtime {
class UserDirectory;
}

namespace herald::api {

// The one conversion from a stored row to the frame's inner object, shared
// by the live frame and GET /notifications (their shapes never differ).
protocol::NotificationEvent notification_event(const store::NotificationRecord& n, bool with_seq);

void publish_stored(cluster::Broker& broker, realtime::UserDirectory& directory,
                    const std::vector<store::NotificationRecord>& stored);

}  // namespace herald::api

namespace herald::api {
class Recipients;
// Inside a write job: stores each planned notification (with its
// recipient's next seq) and returns the rows for publish_stored.
std::vector<store::NotificationRecord> store_planned(store::Database& db, const Recipients& recipients,
                                                     std::int64_t now_ms);
}  // namespace herald::api
