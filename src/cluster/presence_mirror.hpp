#pragma once
// A node's copy of the cluster's presence (docs/CLUSTER.md, "Redis:
// presence"), built from the `herald:presence` stream in number order:
// who has connections, how many, their status, who is visible online, at
// which number. The REST reads of a cluster node (PROTOCOL.md 6.1) answer
// from it. It also keeps the last events in a ring, for the race between
// an attach's reply and the stream: a connection whose snapshot is number
// S, arriving when its worker has already passed S, is sent the events
// after S from here before it joins the tables, so it receives exactly the
// changes after its snapshot.
//
// A number that skips ahead means events were lost (the subscriber was
// away): apply() says so, and the node rebuilds (reset()) from Redis
// before trusting the mirror again. Thread-safe: the broker thread applies,
// REST and admission read.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cluster/redis_presence.hpp"

namespace herald::cluster {

class PresenceMirror {
 public:
  explicit PresenceMirror(std::size_t ring_capacity = 4096) : capacity_(ring_capacity) {}

  enum class Applied { applied, already_had, gap };
  // The stream's next event. `already_had`: at or below the mirror's number
  // (a repeat, or one a reset already counted), ignored. `gap`: beyond the
  // next number; nothing applied, reset() is due.
  Applied apply(const PresenceEvent& event);

  // The state as Redis had it at the snapshot's number (a rebuild); the
  // ring starts over, so since() reaches back only to that number.
  void reset(const PresenceSnapshotState& state);

  std::uint64_t seq() const;
  std::int64_t online_count() const;
  bool is_online(UserId user) const;  // visible online
  // A user with a connection anywhere (invisible ones too); nullopt: none.
  std::optional<PresenceUserState> user(UserId user) const;
  // Visible online users ordered by id, a page of them.
  std::vector<PresenceUserState> online_users(std::size_t offset = 0,
                                              std::size_t limit = SIZE_MAX) const;
  // The applied events numbered above `from`, in order; nullopt when the
  // ring no longer holds all of them (the caller resyncs that connection).
  std::optional<std::vector<PresenceEvent>> since(std::uint64_t from) const;

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::uint64_t seq_ = 0;
  std::int64_t online_ = 0;                         // users_ that are visible
  std::map<std::int64_t, PresenceUserState> users_;  // by id: pages in id order
  std::deque<PresenceEvent> ring_;  // the last events applied, oldest first
  std::uint64_t ring_floor_ = 0;    // since(from) is complete for from >= this
};

}  // namespace herald::cluster
