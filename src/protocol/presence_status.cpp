// Wire names of the presence statuses.
#include "protocol/presence_status.hpp"

namespace herald::protocol {

std::string_view to_string(PresenceStatus status) {
  switch (status) {
    case PresenceStatus::online: return "online";
    case PresenceStatus::away: return "away";
    case PresenceStatus::busy: return "busy";
    case PresenceStatus::offline: return "offline";
  }
  return "offline";  // unreachable for valid enum values
}

std::optional<PresenceStatus> parse_presence_status(std::string_view name) {
  if (name == "online") return PresenceStatus::online;
  if (name == "away") return PresenceStatus::away;
  if (name == "busy") return PresenceStatus::busy;
  if (name == "offline") return PresenceStatus::offline;
  return std::nullopt;
}

}  // namespace herald::protocol
