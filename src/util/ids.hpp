#pragma once
// Strong identifier types. enum class gives distinct, zero-cost types that
// cannot be mixed up (a UserId is never passed where a Seq is expected) and
// std::hash works on them out of the box.
#include <cstdint>
#include <string>

namespace herald {

enum class UserId : std::int64_t {};
enum class ConnectionId : std::uint64_t {};
enum class MessageId : std::int64_t {};
enum class Seq : std::int64_t {};

constexpr std::int64_t raw(UserId id) { return static_cast<std::int64_t>(id); }
constexpr std::uint64_t raw(ConnectionId id) { return static_cast<std::uint64_t>(id); }
constexpr std::int64_t raw(MessageId id) { return static_cast<std::int64_t>(id); }
constexpr std::int64_t raw(Seq id) { return static_cast<std::int64_t>(id); }

// "c" + 16 hex digits: what `connected.data.connection_id` carries.
std::string to_string(ConnectionId id);

}  // namespace herald
