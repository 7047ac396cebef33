#pragma once
// The broker seam (DESIGN.md "Scale-out"). Everything that must reach
// connections goes through Broker::publish with a Target. On one node,
// LocalBroker hands it straight to this node's LocalDelivery; a Redis
// broker (later) publishes it to every node that holds a recipient, whose
// subscriber then calls its own LocalDelivery. So the real-time layer never
// knows whether a recipient is on this node.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "util/ids.hpp"

namespace herald::cluster {

// A serialized server frame, built once and shared by every recipient.
using SharedFrame = std::shared_ptr<const std::string>;

struct Target {
  // followers: the online followers of `user` (presence audience
  // `followers`, PROTOCOL.md 5), resolved where it is delivered.
  enum class Kind : std::uint8_t { user, all_users, context, followers };
  Kind kind = Kind::user;
  UserId user{};                  // Kind::user: the recipient; followers: whose
  std::string context;            // Kind::context: the subscription name
  UserId exclude_user{};          // never deliver to this user (0 = nobody)
  ConnectionId exclude_connection{};  // nor to this connection (0 = none)
  std::string_view type;          // message type, for metrics (a literal)
  // A presence event's number (realtime::PresenceLedger; 0 = not one):
  // delivered in number order, and only to connections whose `connected`
  // snapshot came before it.
  std::uint64_t presence_seq = 0;
  // A mailbox event's seq in the recipient's mailbox (PROTOCOL.md 4.3; 0 =
  // not one): a connection gets each seq once, after its replay, in order.
  // Mailbox events are published from the storage writer's thread in commit
  // order, which is seq order for each user.
  std::uint64_t mailbox_seq = 0;

  static Target to_user(UserId u, std::string_view type, ConnectionId except = {}) {
    Target t;
    t.kind = Kind::user;
    t.user = u;
    t.exclude_connection = except;
    t.type = type;
    return t;
  }
  static Target to_all_except(UserId except, std::string_view type) {
    Target t;
    t.kind = Kind::all_users;
    t.exclude_user = except;
    t.type = type;
    return t;
  }
  static Target to_followers_of(UserId subject, std::string_view type) {
    Target t;
    t.kind = Kind::followers;
    t.user = subject;
    t.exclude_user = subject;
    t.type = type;
    return t;
  }
  static Target to_context(std::string ctx, UserId except, std::string_view type) {
    Target t;
    t.kind = Kind::context;
    t.context = std::move(ctx);
    t.exclude_user = except;
    t.type = type;
    return t;
  }
};

// Implemented by the node's real-time hub: delivers to local connections.
class LocalDelivery {
 public:
  virtual ~LocalDelivery() = default;
  virtual void deliver(const Target& target, const SharedFrame& frame) = 0;
};

class Broker {
 public:
  virtual ~Broker() = default;
  virtual void publish(const Target& target, const SharedFrame& frame) = 0;
  // nullopt on a single node; true/false for a cluster broker's link.
  virtual std::optional<bool> up() const { return std::nullopt; }
  // A follow edge stored (or removed) here: the other nodes' in-memory
  // follow graphs (the `followers` audience) learn it. One node: nothing.
  virtual void publish_follow(UserId follower, UserId followee, bool following) {
    (void)follower;
    (void)followee;
    (void)following;
  }
};

// What this node holds, told to a cluster broker so it subscribes to what
// must reach it (docs/CLUSTER.md, "Redis: routing"): each connection of a
// user and each context subscription, counted up and down. Called from the
// workers, any of them; a single node has no use for it (no Interest).
class Interest {
 public:
  virtual ~Interest() = default;
  virtual void hold_user(UserId user, bool held) = 0;
  virtual void hold_context(const std::string& context, bool held) = 0;
};

// One process: publishing is local delivery.
class LocalBroker final : public Broker {
 public:
  explicit LocalBroker(LocalDelivery& delivery) : delivery_(delivery) {}
  void publish(const Target& target, const SharedFrame& frame) override {
    delivery_.deliver(target, frame);
  }

 private:
  LocalDelivery& delivery_;
};

}  // namespace herald::cluster
