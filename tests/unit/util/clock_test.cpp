// ISO-8601 timestamps (PROTOCOL.md "Conventions": UTC, milliseconds, Z).
#include "util/clock.hpp"

#include <gtest/gtest.h>

using herald::util::iso8601_from_unix_ms;

TEST(Clock, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(iso8601_from_unix_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(iso8601_from_unix_ms(1795651200123), "2026-11-26T00:00:00.123Z");
  EXPECT_EQ(iso8601_from_unix_ms(951868799999), "2000-02-29T23:59:59.999Z");
}

// The per-thread cache of the second's text must never leak into another
// second: alternate between seconds, and cross a day and a year.
TEST(Clock, CachedSecondIsReplacedWhenTheSecondChanges) {
  EXPECT_EQ(iso8601_from_unix_ms(1767225599500), "2025-12-31T23:59:59.500Z");
  EXPECT_EQ(iso8601_from_unix_ms(1767225600001), "2026-01-01T00:00:00.001Z");
  EXPECT_EQ(iso8601_from_unix_ms(1767225599999), "2025-12-31T23:59:59.999Z");
  EXPECT_EQ(iso8601_from_unix_ms(1767225599000), "2025-12-31T23:59:59.000Z");
}

TEST(Clock, BeforeTheEpochAndFarFutureStillFormat) {
  EXPECT_EQ(iso8601_from_unix_ms(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(iso8601_from_unix_ms(253402300800000), "10000-01-01T00:00:00.000Z");
}
