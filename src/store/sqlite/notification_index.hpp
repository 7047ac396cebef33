#pragma once
// The notifications' read side over their two places (notification_pack.hpp):
// the batches the fold has not reached yet (main.notification_batches with
// last_id > archive.notification_fold.folded_upto, scanned; the fold keeps
// them to about a second's or 16,384 notifications' worth) and each user's
// runs (archive.notification_runs, by key). Batches are never deleted, so
// the split is exact whichever file a reader's transaction reads first:
// every batch up to the mark it reads is in the runs of the same archive
// snapshot, every later one in main, and none in both.
//
// Read state is in main: notification_marks.read_upto ("mark all") and
// notification_reads (one by one, ids above the mark).
#include <cstdint>
#include <functional>
#include <map>
#include <string_view>
#include <vector>

#include <boost/container/flat_set.hpp>

#include "store/database.hpp"
#include "store/sqlite/notification_pack.hpp"

namespace herald::store::sqlite {

class Statements;

struct NotificationReadState {
  std::int64_t read_upto = 0;
  boost::container::flat_set<std::int64_t> read_ids;  // above read_upto
  bool is_read(std::int64_t id) const { return id <= read_upto || read_ids.contains(id); }
};

// What one publish stored, the same for each of its recipients.
struct NotificationBatch {
  std::int64_t first_id = 0;
  std::int64_t last_id = 0;
  NotificationContent content;
  std::int64_t created_at_ms = 0;
};

class NotificationIndex {
 public:
  explicit NotificationIndex(Statements& statements) : statements_(statements) {}

  // Every batch with last_id <= this is in the runs.
  std::int64_t folded_upto();
  // The newest notification id stored (0 when none).
  std::int64_t newest_id();
  // Calls visit(first_id, last_id, recipients) for each batch after
  // `after`, oldest first.
  void for_each_batch_after(std::int64_t after,
                            const std::function<void(std::int64_t, std::int64_t, std::string_view)>& visit);
  // The user's entries in the batches after `after`, ids ascending.
  std::vector<NotificationEntry> unfolded_of(std::int64_t user, std::int64_t after);
  NotificationReadState read_state(std::int64_t user);
  // The batch holding notification `id` (cached per index); nullptr when
  // no batch holds it.
  const NotificationBatch* batch_of(std::int64_t id);
  // The user's newest seq in the runs (0 when none).
  std::int64_t last_folded_seq(std::int64_t user);

 private:
  Statements& statements_;
  std::map<std::int64_t, NotificationBatch> batches_;  // by last_id
};

NotificationRecord make_record(const NotificationEntry& entry, const NotificationBatch& batch, bool read);

}  // namespace herald::store::sqlite
