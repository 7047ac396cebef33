#pragma once
// Caps on open TCP connections, so one host cannot take every file
// descriptor: at most `per_address` sockets from one client address and at
// most `total` in all, counted from accept until the socket closes, HTTP
// and WebSocket alike (an upgraded connection keeps its slot).
//
// An IPv6 client is counted by its /64 prefix: one host usually holds a
// whole /64, so counting single addresses would cap nothing. IPv4 and
// IPv4-mapped IPv6 addresses are counted per address.
//
// Invariants
// - admit() and the release of a slot may run on any worker thread; one
//   mutex guards the counts. It is held for a hash lookup per accept and
//   per close, far less than the accept and close system calls around it.
// - A ConnectionSlot keeps its address's entry, and through it the limiter,
//   alive: a WebSocket that outlives the Server (shutdown order) still
//   releases safely. The slot is one pointer, so WsConnection stays small.
#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace boost::asio::ip {
class address;
}

namespace herald::net {

struct ConnectionCaps {
  std::size_t per_address = 256;  // 0: no cap per address
  std::size_t total = 0;          // 0: no global cap
};

class ConnectionLimiter;

// 16 bytes: an IPv4 address as IPv4-mapped IPv6, an IPv6 one cut to /64.
using AddressKey = std::array<std::uint8_t, 16>;

// The key `address` is counted under (exposed for tests).
AddressKey address_key(const boost::asio::ip::address& address);

// One admitted connection. Move-only; releasing it (destruction or
// release()) gives the connection's place back.
class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  ConnectionSlot(ConnectionSlot&& other) noexcept : entry_(std::exchange(other.entry_, nullptr)) {}
  ConnectionSlot& operator=(ConnectionSlot&& other) noexcept;
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ~ConnectionSlot() { release(); }

  void release();
  explicit operator bool() const { return entry_ != nullptr; }

 private:
  friend class ConnectionLimiter;
  struct Entry;
  explicit ConnectionSlot(Entry* entry) : entry_(entry) {}
  Entry* entry_ = nullptr;
};

// The count of one address and the reference that keeps the limiter alive
// while any of its slots is out.
struct ConnectionSlot::Entry {
  AddressKey key{};
  std::size_t count = 0;
  std::shared_ptr<ConnectionLimiter> owner;
};

enum class ConnectionRefusal {
  per_address,  // this client already holds its share
  total,        // the server holds its maximum
};

class ConnectionLimiter : public std::enable_shared_from_this<ConnectionLimiter> {
 public:
  // Use make(): slots keep the limiter alive through shared ownership.
  static std::shared_ptr<ConnectionLimiter> make(ConnectionCaps caps);

  std::expected<ConnectionSlot, ConnectionRefusal> admit(const boost::asio::ip::address& peer);

  std::size_t open_connections() const;
  const ConnectionCaps& caps() const { return caps_; }

 private:
  friend class ConnectionSlot;
  explicit ConnectionLimiter(ConnectionCaps caps) : caps_(caps) {}
  void release(ConnectionSlot::Entry* entry);

  struct KeyHash {
    std::size_t operator()(const AddressKey& key) const;
  };

  ConnectionCaps caps_;
  mutable std::mutex mutex_;
  std::size_t open_ = 0;
  // Node-based: an Entry's address stays fixed while slots point at it.
  std::unordered_map<AddressKey, ConnectionSlot::Entry, KeyHash> by_address_;
};

}  // namespace herald::net
