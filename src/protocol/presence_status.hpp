#pragma once
// The four presence statuses a client may set (PROTOCOL.md sections 4, 5).
// `offline` while connected is invisible mode; the realtime module decides
// what that means, this file only names the values.
#include <optional>
#include <string_view>

namespace herald::protocol {

enum class PresenceStatus { online, away, busy, offline };

// "online", "away", "busy", "offline".
std::string_view to_string(PresenceStatus status);

// Exact, case-sensitive match of the wire name; nullopt for anything else.
std::optional<PresenceStatus> parse_presence_status(std::string_view name);

}  // namespace herald::protocol
