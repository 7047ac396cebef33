#pragma once
// Presence shared by a cluster's nodes (docs/CLUSTER.md, "Redis: presence,
// numbered in one place"), seen from the flows. On one node there is none
// (a null pointer) and the PresenceRegistry numbers every event itself;
// with one, every transition is applied and numbered in Redis, and the
// events reach every node's connections from the cluster's stream, not
// from the node that caused them.
//
// Threads: the calls come from the workers; a callback runs on the
// implementation's own thread (the caller posts back to its worker).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cluster/broker.hpp"
#include "protocol/presence_status.hpp"
#include "realtime/presence_ledger.hpp"
#include "util/ids.hpp"

namespace herald::realtime {

class SharedPresence {
 public:
  virtual ~SharedPresence() = default;

  // What a new connection's `connected` reports: the online count at the
  // cluster's presence number `seq`, which its own attach took (so it
  // never hears of itself). nullopt: the cluster could not be asked (Redis
  // away); the connection is welcomed from this node's mirror instead.
  using AttachDone = std::function<void(std::optional<PresenceSnapshot>)>;
  virtual void attach(UserId user, const std::string& username, AttachDone done) = 0;
  virtual void detach(UserId user) = 0;
  virtual void set_status(UserId user, protocol::PresenceStatus status,
                          const std::optional<std::string>& data) = 0;

  // The frames of the presence events numbered in (after, upto] that
  // `viewer` is in the audience of, for a connection whose snapshot is
  // `after` joining a worker that has already passed `upto`; nullopt when
  // they are no longer all known (that connection's stream cannot be
  // exact). Any thread.
  virtual std::optional<std::vector<cluster::SharedFrame>> events_between(PresenceSeq after,
                                                                          PresenceSeq upto,
                                                                          UserId viewer) const = 0;
  // The mirror's number and count now: the welcome of a connection the
  // cluster could not be asked about.
  virtual PresenceSnapshot local_snapshot() const = 0;
};

}  // namespace herald::realtime
