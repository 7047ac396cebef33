#pragma once
// REST requests per authenticated user (issue 10): a token bucket per user,
// so one token holder cannot keep a worker busy with listings (/online
// copies a page of every online user). Over the budget: 429 with
// Retry-After.
//
// Thread-safe, sharded by user id under short mutexes. Memory: one small
// entry per user seen lately; entries idle for a minute (their bucket full
// again) are swept every few thousand calls, and at kMaxUsers per shard the
// shard is swept at once, so the table stays bounded by recent users.
#include <array>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <unordered_map>

#include "util/ids.hpp"
#include "util/token_bucket.hpp"

namespace herald::api {

class RestRateLimit {
 public:
  using Clock = util::TokenBucket::Clock;
  explicit RestRateLimit(util::BucketRate rate) : rate_(rate) {}

  // Takes one request's token; false: answer 429.
  bool allow(UserId user, Clock::time_point now);
  std::size_t tracked() const;

 private:
  struct Entry {
    util::TokenBucket bucket;
    Clock::time_point last{};
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<UserId, Entry> users;
    std::size_t calls = 0;
  };
  static constexpr std::size_t kShards = 16;
  static constexpr std::size_t kMaxUsers = 1 << 16;
  static constexpr std::size_t kSweepEvery = 4096;
  static constexpr std::chrono::seconds kIdle{60};

  void sweep(Shard& s, Clock::time_point now);

  util::BucketRate rate_;
  std::array<Shard, kShards> shards_;
};

}  // namespace herald::api
