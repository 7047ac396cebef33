#pragma once
// Delivery: gets frames to this node's connections (the broker's
// LocalDelivery) and keeps the per-worker tables they are found in.
//
// A frame for a user goes to the workers holding that user's connections
// (PresenceRegistry::workers_of), at once. A broadcast (every user, a
// context) goes to every worker and waits there for the worker's broadcast
// window (BroadcastWindow), then leaves with the window's others: one write
// per connection. Presence events also pass each worker's PresenceOrder, so
// they leave in the order they were applied, and skip the connections
// whose `connected` snapshot already counts them (PROTOCOL.md 5).
//
// Threads: deliver() and post() may be called from any thread; the tables
// of worker w are touched only on worker w (ConnectionTables' calls come
// from the connection's own worker).
#include <chrono>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "cluster/broker.hpp"
#include "net/session.hpp"
#include "realtime/ports.hpp"
#include "realtime/worker_hub.hpp"

namespace herald::util {
class WorkerPool;
}

namespace herald::realtime {

class FollowGraph;
class PresenceRegistry;

struct BroadcastTiming {
  // Broadcasts wait at least this long on each worker and then go out
  // together. 0 = each broadcast at once.
  std::chrono::milliseconds min{20};
  // The window stretches up to this when flushes grow costly.
  std::chrono::milliseconds max{100};
};

class Delivery final : public cluster::LocalDelivery,
                       public ConnectionTables,
                       public WorkerPosts {
 public:
  // `follows`: the audience of Target::Kind::followers (null: none).
  Delivery(util::WorkerPool& workers, const PresenceRegistry& registry, BroadcastTiming timing,
           const FollowGraph* follows = nullptr);
  ~Delivery() override;

  // cluster::LocalDelivery
  void deliver(const cluster::Target& target, const cluster::SharedFrame& frame) override;
  // Cluster mode: a presence event of the cluster's stream (numbered in
  // Redis, target.presence_seq). Called from one thread in number order,
  // so each worker receives them in order without a PresenceOrder; each
  // remembers the last it released (presence_passed).
  void deliver_presence_stream(const cluster::Target& target, const cluster::SharedFrame& frame);
  // ConnectionTables
  void add(const std::shared_ptr<Connection>& c) override;
  void remove(Connection& c) override;
  void subscribe(Connection& c, const std::string& context) override;
  void unsubscribe(Connection& c, const std::string& context) override;
  std::uint64_t presence_passed(unsigned worker) const override;
  // WorkerPosts
  void post(unsigned worker, std::function<void()> fn) override;
  void post_after(unsigned worker, std::chrono::milliseconds delay,
                  std::function<void()> fn) override;

  // A cluster broker's Interest: told of every connection and context
  // subscription added or removed here. Set before the workers start.
  void set_interest(cluster::Interest* interest) { interest_ = interest; }

  unsigned worker_count() const;
  // On worker `worker`: every connection it holds (the expiry sweep).
  void for_each_on(unsigned worker, const std::function<void(Connection&)>& fn);
  // Stops the broadcast timers and closes every connection (SIGTERM). Any thread.
  void close_all(net::CloseCode code, std::string_view reason);

 private:
  void deliver_on_worker(unsigned worker, const cluster::Target& target,
                         const cluster::SharedFrame& frame);
  void route_on_worker(unsigned worker, const cluster::Target& target,
                       const cluster::SharedFrame& frame);
  void arm_window(unsigned worker);

  util::WorkerPool& workers_;
  const PresenceRegistry& registry_;
  BroadcastTiming timing_;
  std::vector<std::unique_ptr<WorkerHub>> hubs_;
  struct Timers;
  std::unique_ptr<Timers> timers_;
  cluster::Interest* interest_ = nullptr;
};

}  // namespace herald::realtime
