#pragma once
// Who is online, as the REST API reads it (PROTOCOL.md 6.1): on one node
// the PresenceRegistry itself, in a cluster the node's mirror of the
// cluster's presence (ClusterPresence), so /online, /online/count and
// /status/{id} agree on every node.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/presence_status.hpp"
#include "util/ids.hpp"

namespace herald::realtime {

struct UserPresence {
  UserId user{};
  int connections = 0;
  protocol::PresenceStatus status = protocol::PresenceStatus::online;
  std::optional<std::string> status_data;  // JSON object text, as the user sent it
};

class PresenceReads {
 public:
  virtual ~PresenceReads() = default;
  // Visible online users.
  virtual std::int64_t online_count() const = 0;
  // A user with a connection (invisible included: the caller decides what
  // an invisible user shows); nullopt: none.
  virtual std::optional<UserPresence> presence_of(UserId user) const = 0;
  // Visible online users ordered by id, a page of them.
  virtual std::vector<UserPresence> online_users(std::size_t offset = 0,
                                                 std::size_t limit = SIZE_MAX) const = 0;
};

}  // namespace herald::realtime
