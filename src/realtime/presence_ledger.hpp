#pragma once
// The order of presence on this node (PROTOCOL.md 5: "each connection's
// presence stream agrees with its `connected` snapshot").
//
// Every presence event (a user turning visible online or offline, a status
// change) takes the next number of one node-wide sequence at the moment it
// is applied, together with its effect on the online count. A `connected`
// snapshot reads the count and the sequence in one step, so it says exactly
// which events it already reflects: a connection then receives the events
// numbered above its snapshot, in number order (PresenceOrder puts them back
// in order on each worker), and none at or below it.
//
// One mutex, taken only for presence transitions and snapshots (a few tens
// of nanoseconds each, never for messages): a join storm of thousands a
// second spends well under a millisecond a second in it. Callers hold the
// subject's registry shard lock while recording, so one user's events are
// numbered in the order they were applied.
#include <cstdint>
#include <mutex>

namespace herald::realtime {

// 0 is "not a presence event"; the first event is 1.
using PresenceSeq = std::uint64_t;

struct PresenceSnapshot {
  std::int64_t online_count = 0;
  PresenceSeq seq = 0;  // the last event the count reflects
};

class PresenceLedger {
 public:
  // Applies one event's effect on the online count (+1, -1 or 0 for a status
  // change that keeps the user visible); returns its number and the count
  // right after it.
  PresenceSnapshot record(int online_delta) {
    std::lock_guard lock(mutex_);
    online_ += online_delta;
    return {online_, ++seq_};
  }

  PresenceSnapshot snapshot() const {
    std::lock_guard lock(mutex_);
    return {online_, seq_};
  }

  std::int64_t online_count() const { return snapshot().online_count; }

 private:
  mutable std::mutex mutex_;
  std::int64_t online_ = 0;
  PresenceSeq seq_ = 0;
};

}  // namespace herald::realtime
