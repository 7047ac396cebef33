#pragma once
// Wall-clock helpers. Every timestamp on the wire is ISO-8601 UTC with
// milliseconds and a trailing Z (PROTOCOL.md "Conventions").
#include <chrono>
#include <cstdint>
#include <string>

namespace herald::util {

using SystemTime = std::chrono::system_clock::time_point;

std::string iso8601(SystemTime t);
std::string iso8601_now();
std::string iso8601_from_unix_ms(std::int64_t unix_ms);
std::int64_t unix_seconds_now();
std::int64_t unix_ms_now();

}  // namespace herald::util
