#pragma once
// Who is online on this node, how many connections each user has and on
// which workers, and each user's presence status (PROTOCOL.md section 5).
//
// Sharded by user id under short mutexes: the hot path (connect,
// disconnect, "which workers hold user X") locks one shard for a few
// hundred nanoseconds and never takes a global lock. The connections
// themselves live in each worker's WorkerHub; this registry only counts.
//
// Invariant: a user is *visible online* while connections > 0 and status
// is not offline (invisible mode). online_count() counts visible users.
//
// Every change a presence event announces (visible online, visible
// offline, a status change) is numbered by the PresenceLedger while the
// user's shard is locked; the results carry that number, and the caller
// must publish exactly one event per number (PresenceOrder waits for each).
#include <array>
#include <atomic>
#include <memory>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "protocol/client_messages.hpp"
#include "realtime/presence_ledger.hpp"
#include "realtime/presence_reads.hpp"
#include "util/token_bucket.hpp"
#include "util/ids.hpp"

namespace herald::realtime {

using protocol::PresenceStatus;
using util::BucketRate;
using util::TokenBucket;

// The workers holding a user's connections: a user has at most a handful
// (the per-user cap, default 10), so a short inline list, any worker count.
using WorkerList = boost::container::small_vector<unsigned, 4>;

// What one user (all their connections together) may broadcast to the
// presence audience or a context: each such message reaches every online
// user, so the per-connection rate limit alone would let one user with ten
// tabs send ten times its share to everyone (issue 10).
struct BroadcastLimits {
  BucketRate presence{1, 5};  // `presence` status changes
  BucketRate typing{5, 10};   // typing indicators
};

enum class BroadcastKind { presence, typing };

class PresenceRegistry final : public PresenceReads {
 public:
  explicit PresenceRegistry(BroadcastLimits limits = {}) : limits_(limits) {}

  // Takes one of the user's broadcast tokens of this kind; false: over the
  // user's budget (answer RATE_LIMITED, send nothing). A user with no open
  // connection has no budget (false).
  bool take_broadcast(UserId user, BroadcastKind kind, TokenBucket::Clock::time_point now);

  struct AttachResult {
    bool accepted = false;       // false: the user is at the connection cap
    bool became_online = false;  // first connection: announce user_status online
    PresenceSeq seq = 0;         // that announcement's number
    // What the new connection's `connected` reports. For a first connection
    // it is taken at its own event, so of two users joining at once exactly
    // one hears of the other (a later snapshot could count both joins and
    // leave neither to announce to the other).
    PresenceSnapshot snapshot;
  };
  AttachResult attach(UserId user, unsigned worker, int max_connections);

  struct DetachResult {
    bool last_connection = false;
    bool was_visible = false;  // announce user_status offline only if so
    PresenceSeq seq = 0;       // that announcement's number
  };
  DetachResult detach(UserId user, unsigned worker);

  struct StatusChange {
    bool became_invisible = false;  // announce user_status offline
    bool became_visible = false;    // announce user_status online
    bool visible_now = false;       // announce the presence event
    bool unchanged = false;         // the same status and data again: announce nothing
    PresenceSeq status_seq = 0;     // the user_status announcement's number
    PresenceSeq presence_seq = 0;   // the presence event's number
  };
  StatusChange set_status(UserId user, PresenceStatus status, std::optional<std::string> data);

  WorkerList workers_of(UserId user) const;

  // The online count and the last presence event it reflects, read together
  // (a `connected` welcome carries the count and remembers the number).
  PresenceSnapshot snapshot() const { return ledger_.snapshot(); }

  // The seed's monitoring calls (its ConnectionManager), as a C++ API.
  std::int64_t online_count() const override { return ledger_.online_count(); }
  std::int64_t connection_count() const { return connections_.load(std::memory_order_relaxed); }
  bool is_user_online(UserId user) const;        // visible online
  int user_connections_count(UserId user) const;  // 0 for an invisible user
  std::optional<UserPresence> presence_of(UserId user) const override;  // raw, invisible included
  // Visible online users ordered by id: a page of the cached sorted list,
  // which is rebuilt only after something changed (so a burst of /online
  // requests costs one sort, not one each).
  std::vector<UserPresence> online_users(std::size_t offset = 0,
                                         std::size_t limit = SIZE_MAX) const override;

 private:
  struct WorkerCount {
    unsigned worker;
    int connections;
  };
  struct Entry {
    int connections = 0;
    boost::container::small_vector<WorkerCount, 2> per_worker;
    PresenceStatus status = PresenceStatus::online;
    std::optional<std::string> status_data;
    TokenBucket presence_budget;
    TokenBucket typing_budget;
    bool visible() const { return connections > 0 && status != PresenceStatus::offline; }
  };
  static constexpr std::size_t kShards = 64;
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<UserId, Entry> users;
  };
  Shard& shard(UserId id) { return shards_[static_cast<std::uint64_t>(raw(id)) % kShards]; }
  const Shard& shard(UserId id) const {
    return shards_[static_cast<std::uint64_t>(raw(id)) % kShards];
  }

  using OnlineList = std::vector<UserPresence>;
  std::shared_ptr<const OnlineList> sorted_online() const;
  // Bumped on every change a listing shows (connections, status).
  void changed() { generation_.fetch_add(1, std::memory_order_release); }

  BroadcastLimits limits_;
  std::atomic<std::uint64_t> generation_{0};
  mutable std::mutex cache_mutex_;
  mutable std::shared_ptr<const OnlineList> cache_;
  mutable std::uint64_t cache_generation_ = ~std::uint64_t{0};
  std::array<Shard, kShards> shards_;
  PresenceLedger ledger_;
  std::atomic<std::int64_t> connections_{0};
};

}  // namespace herald::realtime
