#pragma once
// Typing indicators and context subscriptions (PROTOCOL.md 4). Typing goes
// to every connection of `to_user_id` when given, otherwise to the other
// users' connections subscribed to the context; never back to the sender.
// Indicators switched on are remembered per connection (at most
// kMaxRememberedTyping) so a disconnect switches them off for the same
// audience. A client repeating `is_typing: true` for an indicator already
// on is coalesced (sent again at most every kRepeatAfter, so receivers
// that expire indicators keep them), and each user has a typing budget
// across all their connections (PresenceRegistry::take_broadcast).
#include <chrono>
#include <cstddef>

#include "cluster/broker.hpp"
#include "protocol/client_messages.hpp"

namespace herald::realtime {

class Connection;
class ConnectionTables;
class PresenceAccess;
class PresenceRegistry;
class UserDirectory;

class TypingFlow {
 public:
  // Bounds the memory a connection can pin with distinct typing contexts.
  static constexpr std::size_t kMaxRememberedTyping = 32;
  static constexpr std::chrono::seconds kRepeatAfter{3};

  // `access` decides `presence:<id>` subscriptions (null: allowed, as with
  // audience `all`).
  TypingFlow(std::size_t max_subscriptions, const UserDirectory& directory,
             PresenceRegistry& registry, ConnectionTables& tables, cluster::Broker& broker,
             const PresenceAccess* access = nullptr)
      : max_subscriptions_(max_subscriptions),
        directory_(directory),
        registry_(registry),
        tables_(tables),
        broker_(broker),
        access_(access) {}

  void typing(Connection& c, const protocol::Typing& m);
  // The connection is closing: its audiences see its indicators switch off.
  void stop_typing(Connection& c);
  void subscribe(Connection& c, const protocol::Subscribe& m);
  void unsubscribe(Connection& c, const protocol::Unsubscribe& m);

 private:
  std::size_t max_subscriptions_;
  const UserDirectory& directory_;
  PresenceRegistry& registry_;
  ConnectionTables& tables_;
  cluster::Broker& broker_;
  const PresenceAccess* access_;
};

}  // namespace herald::realtime
