#pragma once
// Notifications are stored the way chats are (docs/PERFORMANCE.md,
// "Publish"): one publish is one row of main.notification_batches, its
// content once and its recipients packed, so a call to 10,000 users is one
// B-tree insert and not 10,000 scattered ones in each per-user index. The
// fold (sqlite_notification_fold.cpp) later packs each user's new entries
// into one row of archive.notification_runs, the per-user index readers use.
//
// A batch's recipients pack (user_id, seq) per notification, the
// notification's id being the batch's first_id plus its position; a run's
// entries pack (id, seq). 64-bit little-endian integers, 16 bytes an entry.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace herald::store::sqlite {

class Statement;

// One notification as the indexes see it: whose, which, at which seq.
struct NotificationEntry {
  std::int64_t user = 0;
  std::int64_t id = 0;
  std::int64_t seq = 0;
};

inline constexpr std::size_t kNotificationEntryBytes = 2 * sizeof(std::int64_t);

// Appends one recipient (user, seq) to a batch's recipients.
void pack_recipient(std::string& out, std::int64_t user, std::int64_t seq);
// The entries of one batch's recipients; a malformed blob throws StorageError.
std::vector<NotificationEntry> unpack_recipients(std::int64_t first_id, std::string_view recipients);
// The recipient (user, seq) of notification `id` in a batch starting at
// first_id, without unpacking the rest; nullopt when id is outside it.
struct Recipient {
  std::int64_t user = 0;
  std::int64_t seq = 0;
};
bool recipient_at(std::int64_t first_id, std::string_view recipients, std::int64_t id, Recipient& out);

// Inserts entries sorted by (user, id) as runs through `insert`, which takes
// (user_id, last_id, first_id, last_seq, entries); at most kMaxRunEntries
// (archive_runs.hpp) a run.
void insert_notification_runs(Statement& insert, std::span<const NotificationEntry> sorted);
// One run's entries, ids ascending.
std::vector<NotificationEntry> unpack_run(std::int64_t user, std::string_view entries);

}  // namespace herald::store::sqlite
