#pragma once
// Cluster presence kept in Redis (docs/CLUSTER.md, "Redis: presence,
// numbered in one place"): each transition is one Lua script, so Redis
// applies them one at a time, numbers each visible change from one counter
// and publishes it on one channel. Every node therefore reads the same
// changes in the same order, and a connection's snapshot (the number and
// the count an attach returns) splits that stream exactly: the changes
// after it are the ones it must be told of.
//
// Keys (prefix herald:): pc:<user> (hash: node -> open connections),
// nu:<node> (set: users with a connection on that node), online (set:
// users online anywhere), names (hash: user -> the name given at their last
// attach), pseq (the presence number), node:<id> (a node's heartbeat, with
// a TTL), nodes (set: nodes that have announced themselves). Channel:
// presence, one JSON event per visible change (cjson, so any name is
// escaped): {"seq":N,"user":"U","name":"...","online":true|false,"count":C},
// C being the online count right after it.
//
// This step counts connections and first-online / last-offline; statuses
// and invisible mode come with the admission that uses it.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/envelope.hpp"  // NodeId
#include "util/ids.hpp"

namespace herald::cluster {

class RedisLink;
struct Reply;

// What a transition left: the presence number after it, the online count
// at that number, and whether it changed the user's visible presence (then
// `seq` is that change's own number).
struct PresenceStep {
  std::uint64_t seq = 0;
  std::int64_t online_count = 0;
  bool changed = false;
};

// One event of the `herald:presence` channel.
struct PresenceEvent {
  std::uint64_t seq = 0;
  UserId user{};
  bool online = false;
  std::int64_t online_count = 0;
  // The name the user's connection gave at its attach: a node announces
  // users it has never seen itself (their directory is another node's).
  std::string username;
};

// The cluster's presence at one number: who is online (a mirror's rebuild).
struct PresenceSnapshotState {
  std::uint64_t seq = 0;
  std::vector<UserId> online;
};
std::optional<PresenceEvent> parse_presence_event(std::string_view payload);

inline constexpr const char* kPresenceChannel = "herald:presence";

// The scripts, run through a RedisLink (on its io_context's thread). Each
// callback gets nullopt when Redis could not be asked (link down) or
// answered an error; the transition then did not happen or its outcome is
// unknown, which the caller resolves by rebuilding (docs/CLUSTER.md).
class RedisPresence {
 public:
  using StepHandler = std::function<void(std::optional<PresenceStep>)>;
  using CountHandler = std::function<void(std::optional<std::int64_t>)>;

  RedisPresence(RedisLink& link, NodeId node) : link_(link), node_(node) {}

  using SnapshotHandler = std::function<void(std::optional<PresenceSnapshotState>)>;

  // A connection of `user` opened on this node: online if it is the user's
  // first anywhere. `username` rides in the online event.
  void attach(UserId user, const std::string& username, StepHandler done);
  // A connection of `user` closed on this node: offline if it was the
  // user's last anywhere. A detach with nothing attached changes nothing.
  void detach(UserId user, StepHandler done);
  // This node is alive for `ttl_ms` more (called every second or so).
  void heartbeat(std::int64_t ttl_ms, CountHandler done = nullptr);
  // Who is online and the number that state is at, read atomically (a
  // node's mirror rebuilds from it after a gap in the stream).
  void snapshot(SnapshotHandler done);
  // Forgets every node whose heartbeat has lapsed: their connections are
  // removed and each user left with none anywhere goes offline (one event
  // each). Idempotent; any node may run it. Answers how many went offline.
  void reap_dead_nodes(CountHandler done);

 private:
  RedisLink& link_;
  NodeId node_;
};

}  // namespace herald::cluster
