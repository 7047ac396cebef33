#pragma once
// Presence (PROTOCOL.md 5): `user_status` when a user's first connection
// opens or last closes and when they enter or leave invisible mode, and
// `presence` when they set a status, to the presence audience: every other
// online user (`all`), or the user's online followers (`followers`; a
// `presence:<id>` subscription is allowed only to them, TypingFlow, so the
// followers are the whole audience).
//
// Every event carries the number the registry gave the change
// (PresenceLedger), and each number is published exactly once: Delivery's
// per-worker PresenceOrder waits for every number in turn.
#include <optional>
#include <string>
#include <string_view>

#include "cluster/broker.hpp"
#include "protocol/client_messages.hpp"
#include "realtime/presence_ledger.hpp"
#include "util/ids.hpp"

namespace herald::realtime {

class Connection;
class PresenceRegistry;
class SharedPresence;

enum class PresenceAudience { all, followers };

class PresenceFlow {
 public:
  PresenceFlow(PresenceAudience audience, PresenceRegistry& registry, cluster::Broker& broker)
      : audience_(audience), registry_(registry), broker_(broker) {}

  // A user's visible online state changed as numbered `seq`.
  void announce_status(UserId user, bool online, PresenceSeq seq);
  // The `presence` client message.
  void set_status(Connection& c, const protocol::PresenceSet& m);

  PresenceAudience audience() const { return audience_; }

  // Cluster mode: statuses are applied in Redis and announced from the
  // cluster's stream (ClusterPresence). Set before the workers start.
  void set_shared(SharedPresence* shared) { shared_ = shared; }

 private:
  void publish(UserId user, const cluster::SharedFrame& frame, std::string_view type,
               PresenceSeq seq);

  PresenceAudience audience_;
  PresenceRegistry& registry_;
  cluster::Broker& broker_;
  SharedPresence* shared_ = nullptr;
};

}  // namespace herald::realtime
