#include "realtime/user_directory.hpp"

#include <algorithm>

namespace herald::realtime {

void UserDirectory::load(const std::vector<store::UserRecord>& users) {
  for (const auto& u : users) {
    put(u.id, u.username, u.last_seq, u.last_seen_ms, u.created_at_ms);
    raise_mailbox_mark(u.id, u.mailbox_mark);
  }
}

std::optional<DirectoryEntry> UserDirectory::find(UserId id) const {
  const Shard& s = shard(id);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(id);
  if (it == s.users.end()) return std::nullopt;
  return it->second;
}

bool UserDirectory::contains(UserId id) const {
  const Shard& s = shard(id);
  std::lock_guard lock(s.mutex);
  return s.users.contains(id);
}

void UserDirectory::put(UserId id, std::string username, Seq last_seq,
                        std::optional<std::int64_t> last_seen_ms, std::int64_t created_at_ms) {
  Shard& s = shard(id);
  std::lock_guard lock(s.mutex);
  auto [it, inserted] = s.users.try_emplace(id);
  auto& entry = it->second;
  if (inserted) entry.created_at_ms = created_at_ms;
  entry.username = std::move(username);
  if (raw(last_seq) > raw(entry.last_seq)) entry.last_seq = last_seq;
  if (last_seen_ms) entry.last_seen_ms = last_seen_ms;
}

void UserDirectory::set_last_seen(UserId id, std::int64_t when_ms) {
  Shard& s = shard(id);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(id);
  if (it != s.users.end()) it->second.last_seen_ms = when_ms;
}

void UserDirectory::advance_seq(UserId id, Seq seq) {
  Shard& s = shard(id);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(id);
  if (it != s.users.end() && raw(seq) > raw(it->second.last_seq)) it->second.last_seq = seq;
}

void UserDirectory::raise_mailbox_mark(UserId id, Seq seq) {
  Shard& s = shard(id);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(id);
  if (it != s.users.end() && raw(seq) > raw(it->second.mailbox_mark)) it->second.mailbox_mark = seq;
}

void UserDirectory::load_unread(const std::vector<std::pair<UserId, std::int64_t>>& counts) {
  for (const auto& [id, n] : counts) add_unread(id, n);
}

void UserDirectory::add_unread(UserId id, std::int64_t delta) {
  Shard& s = shard(id);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(id);
  if (it != s.users.end()) it->second.unread_notifications = std::max<std::int64_t>(0, it->second.unread_notifications + delta);
}

}  // namespace herald::realtime
