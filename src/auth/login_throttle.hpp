#pragma once
// Login throttling (PROTOCOL 6.2 "Throttled per username and address (429)").
// A sliding window per key: a key is blocked once it has `max_failures`
// failures within the last `window_s` seconds, and stays blocked until the
// oldest of those failures leaves the window. A success clears the key.
// The caller picks the keys, typically one check for "user:<lowercased name>"
// and one for "ip:<address>".
//
// Invariants: thread-safe (one mutex; every operation is O(max_failures)
// except the occasional eviction sweep); memory is bounded: at most
// `max_keys` keys, each holding at most `max_failures` timestamps; keys whose
// failures all left the window are dropped.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace herald::auth {

class LoginThrottle {
 public:
  static constexpr std::size_t kDefaultMaxKeys = 100'000;

  // Throws std::invalid_argument unless max_failures >= 1, window_s >= 1 and
  // max_keys >= 1.
  LoginThrottle(int max_failures = 5, std::int64_t window_s = 300,
                std::size_t max_keys = kDefaultMaxKeys);

  // False while `key` is blocked (answer 429 without checking the password).
  bool allowed(std::string_view key, std::int64_t now);
  void record_failure(std::string_view key, std::int64_t now);
  void record_success(std::string_view key);
  // Seconds until `key` is allowed again (for Retry-After); 0 when allowed.
  std::int64_t retry_after(std::string_view key, std::int64_t now);

  // Number of keys currently tracked (for tests and metrics).
  std::size_t size() const;

 private:
  // Heterogeneous lookup: find() with a string_view, no temporary string.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Failure times in ascending order; only the newest max_failures are kept,
  // the others can no longer decide anything.
  using Failures = std::vector<std::int64_t>;
  using Map = std::unordered_map<std::string, Failures, Hash, std::equal_to<>>;

  // Drops failures that left the window; erases the key when none remain.
  // Returns the key's entry, or end() when nothing is counted for it.
  Map::iterator prune(std::string_view key, std::int64_t now);
  std::int64_t retry_after_locked(Map::iterator it, std::int64_t now) const;
  void make_room(std::int64_t now);

  const std::size_t max_failures_;
  const std::int64_t window_s_;
  const std::size_t max_keys_;
  mutable std::mutex mutex_;
  Map failures_;
};

}  // namespace herald::auth
