#include "util/clock.hpp"

#include <cstring>
#include <ctime>
#include <limits>

#include <fmt/format.h>

namespace herald::util {

namespace {
void put_digits(char* out, int value, int width) {
  for (int i = width - 1; i >= 0; --i, value /= 10) out[i] = static_cast<char>('0' + value % 10);
}
}  // namespace

std::string iso8601_from_unix_ms(std::int64_t unix_ms) {
  std::int64_t secs = unix_ms / 1000;
  int millis = static_cast<int>(unix_ms % 1000);
  if (millis < 0) {
    millis += 1000;
    secs -= 1;
  }
  // Timestamps come in runs of the same second (every chat and ack of a
  // burst): the date and time part is formatted once per second per
  // thread; each call then adds only the milliseconds.
  thread_local std::int64_t cached_secs = std::numeric_limits<std::int64_t>::min();
  thread_local char cached[19];  // "YYYY-MM-DDTHH:MM:SS"
  if (secs != cached_secs) {
    std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    int year = tm.tm_year + 1900;
    if (secs < 0 || year > 9999) {
      return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", year, tm.tm_mon + 1, tm.tm_mday,
                         tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
    }
    put_digits(cached, year, 4);
    cached[4] = '-';
    put_digits(cached + 5, tm.tm_mon + 1, 2);
    cached[7] = '-';
    put_digits(cached + 8, tm.tm_mday, 2);
    cached[10] = 'T';
    put_digits(cached + 11, tm.tm_hour, 2);
    cached[13] = ':';
    put_digits(cached + 14, tm.tm_min, 2);
    cached[16] = ':';
    put_digits(cached + 17, tm.tm_sec, 2);
    cached_secs = secs;
  }
  std::string out(24, '.');
  std::memcpy(out.data(), cached, sizeof cached);
  put_digits(out.data() + 20, millis, 3);
  out[23] = 'Z';
  return out;
}

std::string iso8601(SystemTime t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  return iso8601_from_unix_ms(ms);
}

std::string iso8601_now() { return iso8601(std::chrono::system_clock::now()); }

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t unix_seconds_now() { return unix_ms_now() / 1000; }

}  // namespace herald::util
