#pragma once
// Puts presence events back in sequence order on one worker.
//
// Presence events are numbered where they are applied (PresenceLedger), on
// whichever thread applied them, and then posted to every worker. Two posts
// from two threads can reach a worker in either order: a user's `offline`
// could overtake their `online`. Each worker therefore releases events
// strictly by number: an event that arrives early waits until every lower
// number has arrived. Every number is published to every worker exactly
// once (the Hub's presence flow guarantees it), so nothing waits for long:
// only until the post already on its way lands.
//
// Touched only by its worker's thread; no locks.
#include <cstddef>
#include <map>
#include <utility>

#include "realtime/presence_ledger.hpp"

namespace herald::realtime {

template <class Event>
class PresenceOrder {
 public:
  // Takes event number `seq`; calls release(event) for it and every waiting
  // event after it, in number order, as soon as they are next in line.
  template <class Release>
  void accept(PresenceSeq seq, Event event, Release&& release) {
    if (seq != next_) {
      waiting_.emplace(seq, std::move(event));
      return;
    }
    release(std::move(event));
    ++next_;
    for (auto it = waiting_.begin(); it != waiting_.end() && it->first == next_;
         it = waiting_.erase(it)) {
      release(std::move(it->second));
      ++next_;
    }
  }

  std::size_t waiting() const { return waiting_.size(); }
  PresenceSeq next() const { return next_; }

 private:
  PresenceSeq next_ = 1;
  std::map<PresenceSeq, Event> waiting_;  // usually empty: posts mostly arrive in order
};

}  // namespace herald::realtime
