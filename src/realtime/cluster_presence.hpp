#pragma once
// A cluster node's side of shared presence (docs/CLUSTER.md, "Redis:
// presence, numbered in one place").
//
// - Transitions: each attach, detach and status change of this node's
//   connections runs one script in Redis (cluster::RedisPresence), which
//   numbers it in the cluster's one presence sequence and publishes it.
// - The stream: every node, this one included, reads `herald:presence` in
//   number order, applies it to its mirror (which answers the REST reads,
//   PROTOCOL.md 6.1) and hands each visible event to its workers
//   (Delivery::deliver_presence_stream). A connection receives the events
//   numbered after its `connected` snapshot, as on one node (Admission).
// - Repair: a number that skips (the subscriber was away) rebuilds the
//   mirror from a snapshot, holding back the events that arrive meanwhile,
//   and announces the difference between the old and the new online set;
//   each time the link comes up, this node's share (its connections per
//   user, as it told Redis) replaces what Redis has for it, in case Redis
//   lost or missed it. Connections hear of changes of the mirror's online
//   set, so their counts follow it through all of this.
// - Liveness: a heartbeat each second keeps this node's key alive; each
//   second every node reaps the nodes whose key lapsed (a SIGKILLed node's
//   users go offline within the TTL). A node that finds its own key lapsed
//   (it stalled past the TTL) may have been reaped: it rebuilds its share.
//   leave() withdraws this node's share at a clean shutdown.
//
// Threads: the SharedPresence calls come from workers and are posted to
// the broker's thread, which alone touches Redis, the share and the
// timers; the reads (PresenceReads, events_between) come from any thread
// and read the mirror, which locks.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "cluster/presence_mirror.hpp"
#include "cluster/redis_presence.hpp"
#include "realtime/presence_flow.hpp"
#include "realtime/presence_reads.hpp"
#include "realtime/shared_presence.hpp"

namespace herald::cluster {
class RedisBroker;
}

namespace herald::realtime {

class Delivery;
class FollowGraph;

struct ClusterPresenceOptions {
  // A node whose heartbeat is older than this is reaped by the others.
  std::chrono::milliseconds node_ttl{5000};
  std::chrono::milliseconds tick{1000};  // heartbeat and reaper period
};

class ClusterPresence final : public SharedPresence, public PresenceReads {
 public:
  ClusterPresence(cluster::RedisBroker& broker, Delivery& delivery, PresenceAudience audience,
                  const FollowGraph* follows, ClusterPresenceOptions options = {});
  ~ClusterPresence() override;

  // Hooks into the broker; call before broker.start().
  void install();
  // Told of each user the stream names (their attach on any node carries
  // their name): the node's directory learns users it has never seen, so a
  // chat to a user connected elsewhere finds them. On the broker thread;
  // set before install().
  void on_user(std::function<void(UserId, const std::string&)> learn) { learn_ = std::move(learn); }
  // Waits (at most `timeout`) until the mirror holds the cluster's state:
  // a node accepts connections once its stream is whole.
  bool wait_until_ready(std::chrono::milliseconds timeout) const;
  // Withdraws this node's share (at most `timeout`) and stops the timers;
  // before broker.stop().
  void leave(std::chrono::milliseconds timeout);

  // SharedPresence (any thread)
  void attach(UserId user, const std::string& username, AttachDone done) override;
  void detach(UserId user) override;
  void set_status(UserId user, protocol::PresenceStatus status,
                  const std::optional<std::string>& data) override;
  std::optional<std::vector<cluster::SharedFrame>> events_between(PresenceSeq after, PresenceSeq upto,
                                                                  UserId viewer) const override;
  PresenceSnapshot local_snapshot() const override;

  // PresenceReads (any thread)
  std::int64_t online_count() const override;
  std::optional<UserPresence> presence_of(UserId user) const override;
  std::vector<UserPresence> online_users(std::size_t offset, std::size_t limit) const override;

 private:
  // On the broker thread.
  void on_event(std::string_view payload);
  void on_link_up();
  void request_snapshot();
  void reset_mirror(const cluster::PresenceSnapshotState& state);
  void release(const cluster::PresenceEvent& e, bool was_online);
  void schedule_tick();

  cluster::SharedFrame frame_of(const cluster::PresenceEvent& e) const;
  bool in_audience(UserId viewer, const cluster::PresenceEvent& e) const;

  cluster::RedisBroker& broker_;
  Delivery& delivery_;
  const PresenceAudience audience_;
  const FollowGraph* follows_;
  const ClusterPresenceOptions options_;
  cluster::RedisPresence redis_;
  cluster::PresenceMirror mirror_;
  std::atomic<bool> ready_{false};  // the mirror has had a snapshot
  std::function<void(UserId, const std::string&)> learn_;

  // Broker thread only.
  struct Share {
    int connections = 0;
    std::string username;
    std::string status = "online";  // as this node last set it
    std::optional<std::string> data;
  };
  void rebuild_share();
  std::unordered_map<UserId, Share> share_;  // what this node told Redis
  bool snapshot_pending_ = false;
  std::vector<cluster::PresenceEvent> held_;  // the stream, while a snapshot is on its way
  struct Timer;
  std::unique_ptr<Timer> timer_;
};

}  // namespace herald::realtime
