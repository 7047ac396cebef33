#pragma once
// Attempt throttling: logins (PROTOCOL 6.2 "Throttled per username and
// address (429)") and registrations per address. A sliding window per key:
// a key is blocked once it has `max_attempts` attempts within the last
// `window_s` seconds, and stays blocked until the oldest of them leaves the
// window. The caller picks the keys, e.g. "u:<lowercased name>" and
// "a:<address>".
//
// An attempt is counted when it starts (begin_attempt checks every key and
// counts on all of them under one lock), not when its outcome is known: a
// check-then-record pair let 30 parallel guesses all pass the check before
// the first was recorded. The caller gives back what should not count
// (cancel_attempt: a login that succeeded, on the address key) or clears a
// key (record_success: the username after a success).
//
// Invariants: thread-safe (one mutex; an operation is O(max_attempts) plus
// the sweeps below). Memory is bounded twice: at most `max_keys` keys, and
// at most `max_bytes` by memory_bytes()' estimate (each key's text, its
// attempt times and the map's node); a key longer than kMaxKeyBytes is kept
// as a 32-character digest, so no caller can store long text here. Keys
// whose attempts all left the window are dropped on lookup and by a sweep
// of the whole table at most every window/4 (amortised over the calls that
// pass a time; a table nobody calls does not grow either).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace herald::auth {

class LoginThrottle {
 public:
  static constexpr std::size_t kDefaultMaxKeys = 100'000;
  static constexpr std::size_t kDefaultMaxBytes = 16u * 1024 * 1024;
  static constexpr std::size_t kMaxKeyBytes = 128;

  // Throws std::invalid_argument unless max_attempts >= 1, window_s >= 1,
  // max_keys >= 1 and max_bytes holds at least one key of kMaxKeyBytes.
  LoginThrottle(int max_attempts = 5, std::int64_t window_s = 300,
                std::size_t max_keys = kDefaultMaxKeys, std::size_t max_bytes = kDefaultMaxBytes);

  // When every key is allowed: counts one attempt at `now` on each, returns 0.
  // Otherwise counts nothing and returns the seconds until all are allowed
  // again (>= 1, for Retry-After).
  std::int64_t begin_attempt(std::span<const std::string_view> keys, std::int64_t now);
  std::int64_t begin_attempt(std::string_view key, std::int64_t now) {
    return begin_attempt(std::span<const std::string_view>(&key, 1), now);
  }
  // Gives back one attempt counted at `started` on `key`; nothing when it is
  // no longer counted.
  void cancel_attempt(std::string_view key, std::int64_t started);

  // False while `key` is blocked.
  bool allowed(std::string_view key, std::int64_t now);
  // Counts an attempt without checking (the older, two-step use).
  void record_failure(std::string_view key, std::int64_t now);
  // Forgets every attempt of `key`.
  void record_success(std::string_view key);
  // Seconds until `key` is allowed again (for Retry-After); 0 when allowed.
  std::int64_t retry_after(std::string_view key, std::int64_t now);

  // Keys currently tracked, and the memory they hold by the estimate the
  // max_bytes bound applies (for tests and metrics).
  std::size_t size() const;
  std::size_t memory_bytes() const;

 private:
  // Heterogeneous lookup: find() with a string_view, no temporary string.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Attempt times in ascending order; only the newest max_attempts are kept,
  // the others can no longer decide anything.
  using Attempts = std::vector<std::int64_t>;
  using Map = std::unordered_map<std::string, Attempts, Hash, std::equal_to<>>;

  // The key as stored: itself, or its digest when longer than kMaxKeyBytes.
  static std::string_view stored_key(std::string_view key, std::string& digest_buffer);
  std::size_t entry_bytes(std::size_t key_size) const { return entry_fixed_bytes_ + key_size; }

  // Drops attempts that left the window; erases the key when none remain.
  // Returns the key's entry, or end() when nothing is counted for it.
  Map::iterator prune(std::string_view key, std::int64_t now);
  std::int64_t retry_after_locked(Map::iterator it, std::int64_t now) const;
  void add_attempt(std::string_view key, std::int64_t now);
  void erase(Map::iterator it);
  void maybe_sweep(std::int64_t now);
  void sweep_expired(std::int64_t now);
  void make_room(std::int64_t now, std::size_t incoming_bytes);

  const std::size_t max_attempts_;
  const std::int64_t window_s_;
  const std::size_t max_keys_;
  const std::size_t max_bytes_;
  const std::size_t entry_fixed_bytes_;  // a key's cost besides its text
  const std::int64_t sweep_interval_s_;
  mutable std::mutex mutex_;
  Map attempts_;
  std::size_t bytes_ = 0;
  std::int64_t next_sweep_ = 0;
};

}  // namespace herald::auth
