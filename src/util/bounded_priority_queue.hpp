#pragma once
// A FIFO per priority under one shared bound, for work that must neither pile
// up without limit nor wait behind less urgent work (password hashes: a
// login's goes ahead of queued registrations). A push of priority p is
// refused once the queue holds limit(p) items in all, so a lower priority can
// be given less room than a higher one: with limits {64, 32}, logins may fill
// the whole queue but registrations stop at half, and a flood of
// registrations never leaves a login without a place. Pops take the highest
// priority first, FIFO within one.
//
// Not thread-safe: CpuPool guards it with its mutex.
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

namespace herald::util {

enum class Priority : std::uint8_t { high = 0, low = 1 };

template <class T>
class BoundedPriorityQueue {
 public:
  static constexpr std::size_t kLevels = 2;

  // limits[p]: how many items the queue may hold, all priorities counted,
  // for a push of priority p to be accepted.
  explicit BoundedPriorityQueue(std::array<std::size_t, kLevels> limits) : limits_(limits) {}

  // False (and `item` dropped) when the queue is full for this priority.
  bool try_push(Priority priority, T item) {
    if (size_ >= limits_[index(priority)]) return false;
    lanes_[index(priority)].push_back(std::move(item));
    ++size_;
    return true;
  }

  // The oldest item of the highest priority that has one.
  std::optional<T> try_pop() {
    for (auto& lane : lanes_) {
      if (lane.empty()) continue;
      std::optional<T> item(std::move(lane.front()));
      lane.pop_front();
      --size_;
      return item;
    }
    return std::nullopt;
  }

  std::size_t size() const { return size_; }
  std::size_t size(Priority priority) const { return lanes_[index(priority)].size(); }
  bool empty() const { return size_ == 0; }
  std::size_t limit(Priority priority) const { return limits_[index(priority)]; }

 private:
  static std::size_t index(Priority priority) { return static_cast<std::size_t>(priority); }

  std::array<std::deque<T>, kLevels> lanes_;
  std::array<std::size_t, kLevels> limits_;
  std::size_t size_ = 0;
};

}  // namespace herald::util
