#pragma once
// Every known user's id, display name, last_seen and latest mailbox seq,
// in memory. Loaded from storage at start and kept current by the flows
// that change it, so the hot paths (connect, chat's USER_NOT_FOUND check,
// `connected.last_seq`) never wait on the database.
//
// It is also what REST reads fall back on for a user admitted before their
// row is stored (the row of a user first seen in a token is written behind):
// every user the server has admitted is here, with the time first seen.
//
// Sharded by user id under short mutexes: any thread may call it.
// Memory: ~90 bytes a user; 1M users is ~90 MB, acceptable for one node.
#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/database.hpp"
#include "util/ids.hpp"

namespace herald::realtime {

struct DirectoryEntry {
  std::string username;
  std::optional<std::int64_t> last_seen_ms;
  Seq last_seq{};
  // The highest seq a closed connection of the user had sent: where the
  // offline queue starts when they next connect with none open (4.3).
  Seq mailbox_mark{};
  std::int64_t created_at_ms = 0;  // the stored created_at, or when first seen
  // Unread notifications (`connected.data.unread_notifications`), changed
  // only from storage commit hooks, so in commit order.
  std::int64_t unread_notifications = 0;
};

class UserDirectory {
 public:
  void load(const std::vector<store::UserRecord>& users);
  std::optional<DirectoryEntry> find(UserId id) const;
  bool contains(UserId id) const;
  // created_at_ms is kept from the first put of a user.
  void put(UserId id, std::string username, Seq last_seq, std::optional<std::int64_t> last_seen_ms,
           std::int64_t created_at_ms);
  void set_last_seen(UserId id, std::int64_t when_ms);
  // Raises the stored seq (never lowers it: completions may arrive out of order).
  void advance_seq(UserId id, Seq seq);
  // Raises the mailbox mark (never lowers it).
  void raise_mailbox_mark(UserId id, Seq seq);
  // Start-up: every user's unread count, from one grouped query.
  void load_unread(const std::vector<std::pair<UserId, std::int64_t>>& counts);
  // Adds `delta` (negative after reads), never going below zero.
  void add_unread(UserId id, std::int64_t delta);

 private:
  static constexpr std::size_t kShards = 64;
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<UserId, DirectoryEntry> users;
  };
  Shard& shard(UserId id) { return shards_[static_cast<std::uint64_t>(raw(id)) % kShards]; }
  const Shard& shard(UserId id) const {
    return shards_[static_cast<std::uint64_t>(raw(id)) % kShards];
  }
  std::array<Shard, kShards> shards_;
};

}  // namespace herald::realtime
