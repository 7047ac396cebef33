#include "store/sqlite/notification_index.hpp"

#include "store/sqlite/statement.hpp"

namespace herald::store::sqlite {

std::int64_t NotificationIndex::folded_upto() {
  Statement& st = statements_.get("SELECT folded_upto FROM archive.notification_fold");
  std::int64_t upto = st.step() ? st.column_int(0) : 0;
  st.reset();
  return upto;
}

std::int64_t NotificationIndex::newest_id() {
  Statement& st = statements_.get("SELECT coalesce(max(last_id), 0) FROM main.notification_batches");
  st.step();
  std::int64_t newest = st.column_int(0);
  st.reset();
  return newest;
}

void NotificationIndex::for_each_batch_after(
    std::int64_t after, const std::function<void(std::int64_t, std::int64_t, std::string_view)>& visit) {
  Statement& st = statements_.get(
      "SELECT first_id, last_id, recipients FROM main.notification_batches WHERE last_id > ?1"
      " ORDER BY last_id");
  st.bind(1, after);
  while (st.step()) visit(st.column_int(0), st.column_int(1), st.column_blob(2));
}

std::vector<NotificationEntry> NotificationIndex::unfolded_of(std::int64_t user, std::int64_t after) {
  std::vector<NotificationEntry> out;
  for_each_batch_after(after, [&](std::int64_t first_id, std::int64_t, std::string_view recipients) {
    for (const NotificationEntry& e : unpack_recipients(first_id, recipients)) {
      if (e.user == user) out.push_back(e);
    }
  });
  return out;
}

NotificationReadState NotificationIndex::read_state(std::int64_t user) {
  NotificationReadState state;
  Statement& mark = statements_.get("SELECT read_upto FROM main.notification_marks WHERE user_id = ?1");
  mark.bind(1, user);
  if (mark.step()) state.read_upto = mark.column_int(0);
  mark.reset();
  Statement& reads =
      statements_.get("SELECT id FROM main.notification_reads WHERE user_id = ?1 AND id > ?2 ORDER BY id");
  reads.bind(1, user).bind(2, state.read_upto);
  while (reads.step()) state.read_ids.insert(state.read_ids.end(), reads.column_int(0));
  return state;
}

const NotificationBatch* NotificationIndex::batch_of(std::int64_t id) {
  if (auto it = batches_.lower_bound(id); it != batches_.end() && it->second.first_id <= id) {
    return &it->second;
  }
  Statement& st = statements_.get(
      "SELECT first_id, last_id, type, title, message, data, link, created_at"
      " FROM main.notification_batches WHERE last_id >= ?1 ORDER BY last_id LIMIT 1");
  st.bind(1, id);
  if (!st.step() || st.column_int(0) > id) {
    st.reset();
    return nullptr;
  }
  NotificationBatch b;
  b.first_id = st.column_int(0);
  b.last_id = st.column_int(1);
  b.content.type = st.column_text(2);
  b.content.title = st.column_text(3);
  b.content.message = st.column_text(4);
  b.content.data_json = st.column_text(5);
  if (!st.column_is_null(6)) b.content.link = st.column_text(6);
  b.created_at_ms = st.column_int(7);
  st.reset();
  return &batches_.emplace(b.last_id, std::move(b)).first->second;
}

std::int64_t NotificationIndex::last_folded_seq(std::int64_t user) {
  // Seqs and ids both ascend with a user's notifications: the newest run
  // ends with the newest seq.
  Statement& st = statements_.get(
      "SELECT last_seq FROM archive.notification_runs WHERE user_id = ?1 ORDER BY last_id DESC LIMIT 1");
  st.bind(1, user);
  std::int64_t seq = st.step() ? st.column_int(0) : 0;
  st.reset();
  return seq;
}

NotificationRecord make_record(const NotificationEntry& entry, const NotificationBatch& batch, bool read) {
  NotificationRecord n;
  n.id = NotificationId{entry.id};
  n.user = UserId{entry.user};
  n.seq = Seq{entry.seq};
  n.content = batch.content;
  n.read = read;
  n.created_at_ms = batch.created_at_ms;
  return n;
}

}  // namespace herald::store::sqlite
