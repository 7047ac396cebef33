#pragma once
// The connections of one worker thread, indexed by user and by
// subscription context. Owned and touched only by its worker: fan-out posts
// one closure per worker, which then walks its own tables without locks.
// Iterating a whole worker for a broadcast is O(connections on the worker),
// the floor for "send to everyone".
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cluster/broker.hpp"
#include "realtime/broadcast_window.hpp"
#include "realtime/connection.hpp"
#include "realtime/presence_order.hpp"

namespace herald::realtime {

// One frame on its way to a target.
struct Outgoing {
  cluster::Target target;
  cluster::SharedFrame frame;
};

class FollowGraph;

class WorkerHub {
 public:
  // `follows` resolves Target::Kind::followers (null: nobody follows anyone).
  explicit WorkerHub(const FollowGraph* follows = nullptr) : follows_(follows) {}
  void add(const std::shared_ptr<Connection>& c);
  void remove(Connection& c);  // also drops its subscriptions
  bool subscribe(Connection& c, const std::string& context);
  void unsubscribe(Connection& c, const std::string& context);

  // Each returns how many connections the frame was queued on.
  std::size_t deliver(const cluster::Target& target, const cluster::SharedFrame& frame);

  // Broadcast batching: queue_broadcast() keeps a broadcast (all users or a
  // context) for the next flush_broadcasts(), and returns true when it is
  // the first since the last flush (the caller then arms its timer). The
  // flush delivers them in order, walking every connection once per run of
  // consecutive all-user broadcasts, so each connection gets all of its
  // frames queued before its single write.
  bool queue_broadcast(const cluster::Target& target, const cluster::SharedFrame& frame);
  // Returns how many broadcasts it flushed.
  std::size_t flush_broadcasts();
  // What the last flush gathered and cost (BroadcastWindow sizes the next).
  const BroadcastFlush& last_broadcast_flush() const { return last_flush_; }
  void set_last_broadcast_flush(const BroadcastFlush& flush) { last_flush_ = flush; }

  // Presence events arrive here in any order and leave in number order.
  PresenceOrder<Outgoing>& presence_order() { return presence_order_; }
  // Cluster mode: the cluster's stream arrives in order (no PresenceOrder);
  // the last number released here.
  std::uint64_t presence_passed() const { return presence_passed_; }
  void set_presence_passed(std::uint64_t seq) { presence_passed_ = seq; }

  // For the once-a-second sweep (token expiry) and shutdown.
  void for_each(const std::function<void(Connection&)>& fn);
  std::size_t size() const { return all_.size(); }

 private:
  std::size_t deliver_to_user(const cluster::Target& t, const cluster::SharedFrame& frame);
  std::size_t deliver_to_all(const cluster::Target& t, const cluster::SharedFrame& frame);
  std::size_t deliver_to_context(const cluster::Target& t, const cluster::SharedFrame& frame);
  std::size_t deliver_to_followers(const cluster::Target& t, const cluster::SharedFrame& frame);

  using Broadcast = Outgoing;
  std::size_t deliver_run_to_all(std::span<const Broadcast> run);

  const FollowGraph* follows_;
  PresenceOrder<Outgoing> presence_order_;
  std::uint64_t presence_passed_ = 0;
  std::vector<Broadcast> pending_broadcasts_;
  BroadcastFlush last_flush_;
  std::unordered_map<ConnectionId, std::shared_ptr<Connection>> all_;
  std::unordered_map<UserId, std::vector<Connection*>> by_user_;
  std::unordered_map<std::string, std::vector<Connection*>> by_context_;
};

}  // namespace herald::realtime
