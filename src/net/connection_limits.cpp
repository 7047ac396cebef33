// See connection_limits.hpp.
#include "net/connection_limits.hpp"

#include <cstring>

#include <boost/asio/ip/address.hpp>

namespace herald::net {

ConnectionSlot& ConnectionSlot::operator=(ConnectionSlot&& other) noexcept {
  if (this != &other) {
    release();
    entry_ = std::exchange(other.entry_, nullptr);
  }
  return *this;
}

void ConnectionSlot::release() {
  Entry* entry = std::exchange(entry_, nullptr);
  // `owner` is written only at the entry's creation and when its count
  // reaches zero, which cannot happen while this slot still counts.
  if (entry) entry->owner->release(entry);
}

AddressKey address_key(const boost::asio::ip::address& address) {
  AddressKey key{};
  if (address.is_v4()) {
    const auto v6 = boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, address.to_v4());
    const auto bytes = v6.to_bytes();
    std::memcpy(key.data(), bytes.data(), key.size());
    return key;
  }
  const auto v6 = address.to_v6();
  const auto bytes = v6.to_bytes();
  if (v6.is_v4_mapped()) {
    std::memcpy(key.data(), bytes.data(), key.size());
  } else {
    std::memcpy(key.data(), bytes.data(), 8);  // the /64 prefix; the host part stays zero
  }
  return key;
}

std::size_t ConnectionLimiter::KeyHash::operator()(const AddressKey& key) const {
  // FNV-1a: a handful of bytes, no need for more.
  std::uint64_t h = 1469598103934665603ull;
  for (std::uint8_t b : key) h = (h ^ b) * 1099511628211ull;
  return static_cast<std::size_t>(h);
}

std::shared_ptr<ConnectionLimiter> ConnectionLimiter::make(ConnectionCaps caps) {
  return std::shared_ptr<ConnectionLimiter>(new ConnectionLimiter(caps));
}

std::expected<ConnectionSlot, ConnectionRefusal> ConnectionLimiter::admit(
    const boost::asio::ip::address& peer) {
  const AddressKey key = address_key(peer);
  std::lock_guard lock(mutex_);
  if (caps_.total != 0 && open_ >= caps_.total) return std::unexpected(ConnectionRefusal::total);
  auto [it, inserted] = by_address_.try_emplace(key);
  ConnectionSlot::Entry& entry = it->second;
  if (caps_.per_address != 0 && entry.count >= caps_.per_address) {
    return std::unexpected(ConnectionRefusal::per_address);
  }
  if (inserted) {
    entry.key = key;
    entry.owner = shared_from_this();
  }
  ++entry.count;
  ++open_;
  return ConnectionSlot(&entry);
}

void ConnectionLimiter::release(ConnectionSlot::Entry* entry) {
  // Destroyed after the lock is released: dropping the last reference
  // destroys the limiter, mutex included.
  std::shared_ptr<ConnectionLimiter> last_reference;
  std::lock_guard lock(mutex_);
  --open_;
  if (--entry->count == 0) {
    last_reference = std::move(entry->owner);
    by_address_.erase(entry->key);
  }
}

std::size_t ConnectionLimiter::open_connections() const {
  std::lock_guard lock(mutex_);
  return open_;
}

}  // namespace herald::net
