// ConnectionLimiter: the per-address and global caps, what releases a
// place, and how addresses are grouped (IPv4 per address, IPv6 per /64).
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "net/connection_limits.hpp"

namespace herald::net {
namespace {

using boost::asio::ip::make_address;

TEST(ConnectionLimits, PerAddressCapRefusesOnlyThatAddress) {
  auto limiter = ConnectionLimiter::make({.per_address = 2, .total = 0});
  auto a1 = limiter->admit(make_address("10.0.0.1"));
  auto a2 = limiter->admit(make_address("10.0.0.1"));
  ASSERT_TRUE(a1 && a2);
  auto a3 = limiter->admit(make_address("10.0.0.1"));
  ASSERT_FALSE(a3);
  EXPECT_EQ(a3.error(), ConnectionRefusal::per_address);
  EXPECT_TRUE(limiter->admit(make_address("10.0.0.2")));  // another client is not affected
  EXPECT_EQ(limiter->open_connections(), 2u);             // the temporary slot above was released
}

TEST(ConnectionLimits, ReleasingASlotGivesItsPlaceBack) {
  auto limiter = ConnectionLimiter::make({.per_address = 1, .total = 0});
  auto first = limiter->admit(make_address("10.0.0.1"));
  ASSERT_TRUE(first);
  EXPECT_FALSE(limiter->admit(make_address("10.0.0.1")));
  first->release();
  EXPECT_FALSE(*first);
  first->release();  // idempotent
  EXPECT_EQ(limiter->open_connections(), 0u);
  auto again = limiter->admit(make_address("10.0.0.1"));
  EXPECT_TRUE(again);
  // A moved slot is released once, by its new owner.
  ConnectionSlot moved = std::move(*again);
  EXPECT_EQ(limiter->open_connections(), 1u);
  { ConnectionSlot gone = std::move(moved); }
  EXPECT_EQ(limiter->open_connections(), 0u);
}

TEST(ConnectionLimits, GlobalCapCountsEveryAddress) {
  auto limiter = ConnectionLimiter::make({.per_address = 0, .total = 3});
  std::vector<ConnectionSlot> held;
  for (const char* a : {"10.0.0.1", "10.0.0.2", "10.0.0.2"}) {
    auto slot = limiter->admit(make_address(a));
    ASSERT_TRUE(slot) << a;
    held.push_back(std::move(*slot));
  }
  auto refused = limiter->admit(make_address("10.0.0.3"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), ConnectionRefusal::total);
  held.pop_back();
  EXPECT_TRUE(limiter->admit(make_address("10.0.0.3")));
}

TEST(ConnectionLimits, ZeroMeansNoCap) {
  auto limiter = ConnectionLimiter::make({.per_address = 0, .total = 0});
  std::vector<ConnectionSlot> held;
  for (int i = 0; i < 1000; ++i) {
    auto slot = limiter->admit(make_address("127.0.0.1"));
    ASSERT_TRUE(slot);
    held.push_back(std::move(*slot));
  }
  EXPECT_EQ(limiter->open_connections(), 1000u);
}

TEST(ConnectionLimits, Ipv6IsCountedPerSlash64AndMappedIpv4AsIpv4) {
  EXPECT_EQ(address_key(make_address("2001:db8:1:2::1")),
            address_key(make_address("2001:db8:1:2:ffff::9")));
  EXPECT_NE(address_key(make_address("2001:db8:1:2::1")),
            address_key(make_address("2001:db8:1:3::1")));
  EXPECT_EQ(address_key(make_address("::ffff:10.0.0.1")), address_key(make_address("10.0.0.1")));
  EXPECT_NE(address_key(make_address("10.0.0.1")), address_key(make_address("10.0.0.2")));

  auto limiter = ConnectionLimiter::make({.per_address = 1, .total = 0});
  auto slot = limiter->admit(make_address("2001:db8:1:2::1"));
  ASSERT_TRUE(slot);
  EXPECT_FALSE(limiter->admit(make_address("2001:db8:1:2::2")));  // same /64
  EXPECT_TRUE(limiter->admit(make_address("2001:db8:1:3::1")));
}

// A WebSocket can outlive the Server at shutdown: its slot keeps the
// limiter alive and releases into it safely.
TEST(ConnectionLimits, SlotOutlivesTheLastOtherReference) {
  auto limiter = ConnectionLimiter::make({.per_address = 4, .total = 4});
  std::weak_ptr<ConnectionLimiter> watch = limiter;
  auto slot = limiter->admit(make_address("10.0.0.1"));
  ASSERT_TRUE(slot);
  limiter.reset();
  EXPECT_FALSE(watch.expired());
  slot->release();
  EXPECT_TRUE(watch.expired());
}

// Workers admit and release on their own threads.
TEST(ConnectionLimits, CountsStayExactAcrossThreads) {
  auto limiter = ConnectionLimiter::make({.per_address = 0, .total = 0});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&limiter, t] {
      const auto address = make_address(t % 2 ? "10.0.0.1" : "10.0.0.2");
      for (int i = 0; i < 10000; ++i) {
        auto slot = limiter->admit(address);
        ASSERT_TRUE(slot);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(limiter->open_connections(), 0u);
}

}  // namespace
}  // namespace herald::net
