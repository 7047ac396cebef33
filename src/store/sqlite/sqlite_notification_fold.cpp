// SqliteDatabase, the notifications' fold (notification_pack.hpp): on the
// fold thread's connection, the batches after archive.notification_fold's
// mark become each user's runs in archive.notification_runs, and the mark
// moves past them, in one archive transaction. Nothing in main changes:
// batches stay, as the content store, so the fold needs no release step
// and a reader finds every notification in exactly one of the two places
// (notification_index.hpp).
//
// When: once the unfolded batches hold kNotificationFoldRows entries (a
// fold then writes each busy user's page once for many publishes), or
// their oldest is kNotificationFoldAgeMs old (so readers' scan of the
// unfolded batches stays short when publishes are few).
#include <algorithm>
#include <thread>
#include <tuple>

#include "store/sqlite/notification_index.hpp"
#include "store/sqlite/notification_pack.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "store/sqlite/statement.hpp"
#include "util/clock.hpp"

namespace herald::store::sqlite {

namespace {
constexpr std::int64_t kNotificationFoldRows = 16384;
constexpr std::int64_t kNotificationFoldAgeMs = 1000;
// Per fold transaction (each batch whole, so one may exceed it).
constexpr std::int64_t kMaxNotificationFoldRows = 4 * kNotificationFoldRows;
// Runs of about this many entries between yields of the core (the chat
// fold's reason, sqlite_fold.cpp).
constexpr std::size_t kYieldEveryEntries = 512;

struct UnfoldedBatch {
  std::int64_t first_id = 0;
  std::int64_t last_id = 0;
  std::string recipients;
};
}  // namespace

bool SqliteDatabase::fold_notifications(bool everything) {
  // Two transactions, as the chat fold: the first copies the batches out
  // of main, the second writes only the archive.
  std::int64_t after = 0;
  std::int64_t entries = 0;
  std::int64_t oldest_ms = 0;
  std::vector<UnfoldedBatch> batches;
  run("BEGIN");
  try {
    NotificationIndex index(*statements_);
    after = index.folded_upto();
    Statement& st = statements_->get(
        "SELECT first_id, last_id, recipients, created_at FROM main.notification_batches"
        " WHERE last_id > ?1 ORDER BY last_id");
    st.bind(1, after);
    while (entries < kMaxNotificationFoldRows && st.step()) {
      if (batches.empty()) oldest_ms = st.column_int(3);
      batches.push_back({st.column_int(0), st.column_int(1), std::string(st.column_blob(2))});
      entries += batches.back().last_id - batches.back().first_id + 1;
    }
    st.reset();
    run("COMMIT");
  } catch (...) {
    rollback();
    throw;
  }
  if (batches.empty()) return false;
  if (!everything && entries < kNotificationFoldRows &&
      util::unix_ms_now() - oldest_ms < kNotificationFoldAgeMs) {
    return false;
  }

  std::vector<NotificationEntry> sorted;
  sorted.reserve(static_cast<std::size_t>(entries));
  for (const UnfoldedBatch& b : batches) {
    std::vector<NotificationEntry> unpacked = unpack_recipients(b.first_id, b.recipients);
    sorted.insert(sorted.end(), unpacked.begin(), unpacked.end());
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return std::tie(a.user, a.id) < std::tie(b.user, b.id); });

  run("BEGIN");
  try {
    // The fold is the archive's only writer; a mark that moved meanwhile
    // would mean these batches are folded already.
    if (NotificationIndex(*statements_).folded_upto() == after) {
      Statement& insert = statements_->get(
          "INSERT INTO archive.notification_runs (user_id, last_id, first_id, last_seq, entries)"
          " VALUES (?1, ?2, ?3, ?4, ?5)");
      std::span<const NotificationEntry> rest(sorted);
      while (!rest.empty()) {
        std::size_t end = std::min(rest.size(), kYieldEveryEntries);
        while (end < rest.size() && rest[end].user == rest[end - 1].user) ++end;
        insert_notification_runs(insert, rest.first(end));
        rest = rest.subspan(end);
        std::this_thread::yield();
      }
      statements_->get("UPDATE archive.notification_fold SET folded_upto = ?1")
          .bind(1, batches.back().last_id)
          .run();
    }
    run("COMMIT");
    return true;
  } catch (...) {
    rollback();
    throw;
  }
}

}  // namespace herald::store::sqlite
