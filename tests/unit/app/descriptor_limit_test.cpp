// The default global connection cap (descriptor_limit.hpp): the open-file
// limit minus the reserve, with a floor for tiny limits.
#include <gtest/gtest.h>

#include "app/descriptor_limit.hpp"

namespace herald::app {
namespace {

TEST(DescriptorLimit, DefaultCapLeavesTheReserve) {
  EXPECT_EQ(reserved_descriptors(2), 136u);
  EXPECT_EQ(default_connection_cap(1024, 2), 1024u - 136u);
  EXPECT_EQ(default_connection_cap(1048576, 8), 1048576u - 160u);
  EXPECT_EQ(default_connection_cap(100, 2), 50u);  // below the reserve: half
  EXPECT_EQ(default_connection_cap(10, 2), 16u);   // never below 16
}

TEST(DescriptorLimit, RaisingNeverLowers) {
  const std::size_t now = raise_descriptor_limit();
  EXPECT_GE(now, 1u);
  EXPECT_EQ(raise_descriptor_limit(), now);  // already at the hard limit
}

}  // namespace
}  // namespace herald::app
