#pragma once
// Process logging set-up: spdlog's default logger writes one line per event
// to stderr as "2025-10-22T10:00:00.123Z info message", time in UTC.
// Messages are key=value pairs ("conn=c01 user=5 event=closed code=4010");
// never tokens, passwords or secrets (PROTOCOL.md; describe_for_log redacts).
#include <expected>
#include <iosfwd>
#include <string>
#include <string_view>

namespace herald::util {

inline constexpr const char* kLogPattern = "%Y-%m-%dT%H:%M:%S.%eZ %l %v";

// level: trace, debug, info, warn, error, critical or off; anything else is
// an error and leaves logging as it was. `out` replaces stderr (tests).
std::expected<void, std::string> init_logging(std::string_view level, std::ostream* out = nullptr);

// True for the level names init_logging accepts.
bool is_log_level(std::string_view level);

}  // namespace herald::util
