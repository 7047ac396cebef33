#pragma once
// Cluster presence kept in Redis (docs/CLUSTER.md, "Redis: presence,
// numbered in one place"): each transition is one Lua script, so Redis
// applies them one at a time, numbers each one from one counter and
// publishes it on one channel. Every node therefore reads the same changes
// in the same order, and a connection's snapshot (the number and the count
// an attach returns) splits that stream exactly: the changes after it are
// the ones it must be told of.
//
// Every transition that changes anything is numbered and published, not
// only the visible ones: a node's mirror also answers `connections_count`
// and a user's status (PROTOCOL.md 6.1) without asking Redis, and a number
// that skips tells it that it missed something.
//
// Keys (prefix herald:): pc:<user> (hash: node -> open connections),
// nu:<node> (set: users with a connection on that node), online (set:
// users visible online anywhere), names (hash: user -> the name given at
// their last attach), st:<user> (hash: status, data; gone while the user
// has no connection, so a user comes back `online`), pseq (the number),
// node:<id> (a node's heartbeat, with a TTL), nodes (set: nodes with
// state). Channel: presence, one JSON event per transition (cjson, so any
// name is escaped), parse_presence_event() reads it.
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

// What a transition left: the number of the last event it published (or
// the current number when it published none), the visible online count at
// that number, and whether it changed the user's visible presence.
struct PresenceStep {
  std::uint64_t seq = 0;
  std::int64_t online_count = 0;
  bool changed = false;
};

enum class PresenceEventKind : std::uint8_t {
  connections,  // the user's state changed (connections, an invisible
                // user's status data), nothing visible did
  user_status,  // the user turned visible online or offline (PROTOCOL.md 5)
  presence,     // a visible user set a status (the `presence` event)
};

// One event of the `herald:presence` channel. Each carries the user's whole
// state after it, so a mirror applies it without knowing what came before.
struct PresenceEvent {
  std::uint64_t seq = 0;
  PresenceEventKind kind = PresenceEventKind::connections;
  UserId user{};
  // The name the user's connection gave at its attach: a node announces
  // users it has never seen itself (their directory is another node's).
  std::string username;
  int connections = 0;          // the user's open connections, all nodes
  bool online = false;          // visible online after it
  std::int64_t online_count = 0;  // visible online users after it
  std::string status = "online";  // online | away | busy | offline (invisible)
  std::optional<std::string> data;  // the status's data, JSON object text
};
std::optional<PresenceEvent> parse_presence_event(std::string_view payload);

// One user with a connection somewhere, as a snapshot has them.
struct PresenceUserState {
  UserId user{};
  std::string username;
  int connections = 0;
  std::string status = "online";
  std::optional<std::string> data;
  bool visible() const { return connections > 0 && status != "offline"; }
};

// The cluster's presence at one number (a mirror's rebuild): every user
// with a connection anywhere, invisible ones included.
struct PresenceSnapshotState {
  std::uint64_t seq = 0;
  std::vector<PresenceUserState> users;
};

// This node's share, for a rebuild after Redis lost or missed it: each user
// with connections here, how many, and their name.
struct NodeShareEntry {
  UserId user{};
  int connections = 0;
  std::string username;
  // The status this node last set for the user (their `presence` message
  // came through one of its connections), restored when Redis holds none
  // for them: a Redis that restarted empty must not show an invisible
  // user online.
  std::string status = "online";
  std::optional<std::string> data;
};

inline constexpr const char* kPresenceChannel = "herald:presence";

// The scripts, run through a RedisLink (on its io_context's thread). Each
// callback gets nullopt when Redis could not be asked (link down) or
// answered an error; the transition then did not happen or its outcome is
// unknown, which the caller resolves by rebuilding (docs/CLUSTER.md).
class RedisPresence {
 public:
  using StepHandler = std::function<void(std::optional<PresenceStep>)>;
  using CountHandler = std::function<void(std::optional<std::int64_t>)>;
  using SnapshotHandler = std::function<void(std::optional<PresenceSnapshotState>)>;

  // `node_ttl_ms`: how long the node counts as alive after its last
  // heartbeat. A node heartbeats before its first attach (one link runs
  // commands in order), so it is never reaped before it has any state.
  RedisPresence(RedisLink& link, NodeId node, std::int64_t node_ttl_ms = 5000)
      : link_(link), node_(node), node_ttl_ms_(node_ttl_ms) {}

  // A connection of `user` opened on this node: online if it is the user's
  // first anywhere and their status is not `offline`. `username` rides in
  // the events.
  void attach(UserId user, const std::string& username, StepHandler done);
  // A connection of `user` closed on this node: offline if it was the
  // user's last visible one anywhere. A detach with nothing attached
  // changes nothing and publishes nothing.
  void detach(UserId user, StepHandler done);
  // The `presence` client message (PROTOCOL.md 5): `status` is online,
  // away, busy or offline (invisible mode); `data` a JSON object's text.
  // Entering invisible mode publishes user_status offline; leaving it,
  // user_status online; any change while visible, then a `presence` event.
  // The same status and data again publish nothing. A user with no
  // connection anywhere is left as they are.
  void set_status(UserId user, const std::string& status, const std::optional<std::string>& data,
                  StepHandler done);
  // Replaces this node's share with `share` (Redis restarted, or missed
  // this node's transitions while the link was down, or reaped the node):
  // users not in it lose this node's connections, the others get exactly
  // these counts, with an event for each user whose state changed. `floor`:
  // the highest number this node has seen; the numbering continues above
  // it, so a Redis that restarted empty never numbers an event again with
  // a number the nodes already passed.
  void rebuild_share(const std::vector<NodeShareEntry>& share, std::uint64_t floor,
                     StepHandler done);
  // This node is alive for the TTL more (called every second or so).
  // Answers 1 when its key had lapsed (or never existed): the other nodes
  // may have reaped its state, so the caller rebuilds its share; else 0.
  void heartbeat(CountHandler done = nullptr);
  // The whole state at one number, read atomically (a node's mirror
  // rebuilds from it after a gap in the stream).
  void snapshot(SnapshotHandler done);
  // Forgets every node whose heartbeat has lapsed: their connections are
  // removed (an event for each user whose state changed; those left with
  // none go offline). Idempotent; any node may run it. Answers how many
  // users went offline.
  void reap_dead_nodes(CountHandler done);

 private:
  RedisLink& link_;
  NodeId node_;
  std::int64_t node_ttl_ms_;
};

}  // namespace herald::cluster
