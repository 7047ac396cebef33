#include "store/sqlite/notification_pack.hpp"

#include "store/database.hpp"
#include "store/sqlite/archive_runs.hpp"  // kMaxRunEntries
#include "store/sqlite/packed_int.hpp"
#include "store/sqlite/statement.hpp"

namespace herald::store::sqlite {

namespace {
void check(std::string_view packed, const char* what) {
  if (packed.size() % kNotificationEntryBytes != 0) throw StorageError(what);
}
}  // namespace

void pack_recipient(std::string& out, std::int64_t user, std::int64_t seq) {
  put_int64(out, user);
  put_int64(out, seq);
}

std::vector<NotificationEntry> unpack_recipients(std::int64_t first_id, std::string_view recipients) {
  check(recipients, "notification batch: malformed recipients");
  std::vector<NotificationEntry> out;
  out.reserve(recipients.size() / kNotificationEntryBytes);
  std::int64_t id = first_id;
  for (const char* p = recipients.data(); p != recipients.data() + recipients.size();
       p += kNotificationEntryBytes) {
    out.push_back({take_int64(p), id++, take_int64(p + 8)});
  }
  return out;
}

bool recipient_at(std::int64_t first_id, std::string_view recipients, std::int64_t id, Recipient& out) {
  check(recipients, "notification batch: malformed recipients");
  if (id < first_id) return false;
  auto index = static_cast<std::uint64_t>(id - first_id);
  if (index >= recipients.size() / kNotificationEntryBytes) return false;
  const char* p = recipients.data() + index * kNotificationEntryBytes;
  out = {take_int64(p), take_int64(p + 8)};
  return true;
}

void insert_notification_runs(Statement& insert, std::span<const NotificationEntry> sorted) {
  std::string packed;
  std::size_t begin = 0;
  while (begin < sorted.size()) {
    std::size_t end = begin + 1;
    while (end < sorted.size() && end - begin < kMaxRunEntries && sorted[end].user == sorted[begin].user) {
      ++end;
    }
    packed.clear();
    for (std::size_t i = begin; i < end; ++i) {
      put_int64(packed, sorted[i].id);
      put_int64(packed, sorted[i].seq);
    }
    insert.reset()
        .bind(1, sorted[begin].user)
        .bind(2, sorted[end - 1].id)
        .bind(3, sorted[begin].id)
        .bind(4, sorted[end - 1].seq)
        .bind_blob(5, packed)
        .run();
    begin = end;
  }
}

std::vector<NotificationEntry> unpack_run(std::int64_t user, std::string_view entries) {
  check(entries, "notification run: malformed entries");
  std::vector<NotificationEntry> out;
  out.reserve(entries.size() / kNotificationEntryBytes);
  for (const char* p = entries.data(); p != entries.data() + entries.size(); p += kNotificationEntryBytes) {
    out.push_back({user, take_int64(p), take_int64(p + 8)});
  }
  return out;
}

}  // namespace herald::store::sqlite
