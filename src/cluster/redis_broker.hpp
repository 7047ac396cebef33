#pragma once
// The cluster broker (docs/CLUSTER.md, "Redis: routing"): a publication is
// delivered to this node's connections at once, as by LocalBroker, and
// published through Redis to the other nodes that must see it, each of
// which hands it to its own LocalDelivery.
//
// Channels: `herald:u:<user>` (the nodes holding a connection of that
// user subscribe to it), `herald:c:<context>` (the nodes with a connection
// subscribed to that context), `herald:all` (every node: broadcasts to
// every user and to a user's followers). What a node holds comes in
// through Interest, counted per user and per context; the first hold
// subscribes the channel, the last release unsubscribes it.
//
// Presence events do not pass here: they are numbered in Redis and every
// node reads them from `herald:presence` (set_presence). Mailbox events
// cross nodes only on shared storage (forward_mailbox).
//
// Threads: publish() and Interest's calls come from any thread (workers,
// the storage writer); Redis is spoken to on the broker's own thread, so
// no caller ever waits on it. Messages from other nodes are handed to
// LocalDelivery on that thread (deliver() may be called from any thread).
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "cluster/broker.hpp"
#include "cluster/envelope.hpp"
#include "cluster/redis_url.hpp"

namespace boost::asio {
class io_context;
}

namespace herald::cluster {

class RedisLink;

class RedisBroker final : public Broker, public Interest {
 public:
  // `node`: this process's id in the cluster, unique among the nodes (a
  // random one per start; an echo of its own publication is skipped).
  RedisBroker(LocalDelivery& local, RedisUrl url, NodeId node);
  ~RedisBroker() override;  // stop()
  RedisBroker(const RedisBroker&) = delete;
  RedisBroker& operator=(const RedisBroker&) = delete;

  // Starts the broker thread and connects; Redis need not be up yet.
  void start();
  // Disconnects and joins the broker thread; nothing is delivered after.
  void stop();

  void publish(const Target& target, const SharedFrame& frame) override;
  void publish_follow(UserId follower, UserId followee, bool following) override;
  // Told of each follow edge another node stored or removed (on the broker
  // thread). Set before start().
  void on_follow(std::function<void(UserId follower, UserId followee, bool following)> apply) {
    on_follow_ = std::move(apply);
  }
  static constexpr const char* kFollowsChannel = "herald:follows";
  std::optional<bool> up() const override { return up_.load(std::memory_order_relaxed); }

  void hold_user(UserId user, bool held) override;
  void hold_context(const std::string& context, bool held) override;

  NodeId node() const { return node_; }

  // Cluster presence (realtime::ClusterPresence): the messages of
  // `herald:presence` go to `on_event` (not to local delivery), and `on_up`
  // runs each time the link is up again, its subscriptions confirmed. Set
  // before start(); both run on the broker thread.
  void set_presence(std::function<void(std::string_view payload)> on_event,
                    std::function<void()> on_up);
  // Shared storage (--database-url): mailbox events (chats, notifications,
  // with the seq they have in the recipient's shared mailbox) cross nodes
  // too; `on_remote` hears of each that came from another node before it is
  // delivered here (the node's directory keeps each user's last seq). Set
  // before start(). Without shared storage they stay on their node: seqs of
  // two nodes' own databases would collide.
  void forward_mailbox(std::function<void(UserId user, std::uint64_t seq)> on_remote);
  // The broker thread's loop and link: work that speaks to Redis is posted
  // to io() and uses link() there.
  boost::asio::io_context& io();
  RedisLink& link();

  static std::string user_channel(UserId user);
  static std::string context_channel(const std::string& context);
  static constexpr const char* kAllChannel = "herald:all";

 private:
  // Counts a hold of `channel` up or down; subscribes at the first,
  // unsubscribes at the last.
  void hold(std::string channel, bool held);
  void received(std::string_view channel, std::string_view payload);
  void received_follow(std::string_view payload);

  LocalDelivery& local_;
  const NodeId node_;
  std::atomic<bool> up_{false};
  std::function<void(std::string_view)> on_presence_;
  std::function<void()> on_up_;
  bool forward_mailbox_ = false;
  std::function<void(UserId, UserId, bool)> on_follow_;
  std::function<void(UserId, std::uint64_t)> on_remote_mailbox_;
  std::mutex holds_mutex_;
  std::unordered_map<std::string, int> holds_;  // channel -> holds on this node
  struct Loop;  // the io_context, its thread and the RedisLink
  std::unique_ptr<Loop> loop_;
};

// A random node id for this process (never 0).
NodeId random_node_id();

}  // namespace herald::cluster
