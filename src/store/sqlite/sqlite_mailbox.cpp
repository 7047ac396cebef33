// SqliteDatabase, the mailbox's read side (PROTOCOL.md 4.3): a replay of a
// user's events after a seq, and the offline queue's mark.
//
// A user's mailbox lives in four places: chats still in the log
// (main.chat_blocks, packed, no index), chats the fold has moved into the
// archive (mailbox_runs, then messages by id), notifications the fold has
// indexed (archive.notification_runs) and those it has not yet
// (main.notification_batches after the fold's mark; notification_index.hpp). The read follows the order ChatWriteState
// describes: the log is read before the archive, in one read transaction
// whose archive snapshot starts only when the archive is first read. A
// chat missing from the log at that moment was released by the writer,
// which happens only after the archive committed it, so the archive read
// finds it; a chat in both is the same chat (one seq) and counted once.
// So a replay never misses a chat committed before it began, even while
// a fold runs.
//
// Cost: the log and the unfolded notification batches are scanned whole
// (each at most a fold's worth or two); the archive's runs by their keys.
#include <algorithm>
#include <map>

#include "store/sqlite/archive_runs.hpp"
#include "store/sqlite/chat_block.hpp"
#include "store/sqlite/notification_index.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "store/sqlite/statement.hpp"

namespace herald::store::sqlite {

namespace {
constexpr std::int64_t kMailboxChat = 1;  // mailbox kind: ref_id is a message id

MailboxChat chat_of(const ChatRecord& r) {
  return MailboxChat{MessageId{r.id}, UserId{r.from}, UserId{r.to}, std::string(r.body),
                     r.created_at};
}
}  // namespace

MailboxPage SqliteDatabase::read_mailbox(UserId user, Seq after, const MailboxRetention& retention) {
  const std::int64_t u = raw(user);
  std::map<std::int64_t, MailboxEvent> events;  // by seq
  std::int64_t latest = 0;
  MailboxPage page;
  run("BEGIN");
  try {
    // 1. The log (main), before the archive.
    Statement& blocks = statements_->get("SELECT records FROM main.chat_blocks ORDER BY last_id");
    while (blocks.step()) {
      ChatBlockReader reader(blocks.column_blob(0));
      ChatRecord r;
      while (reader.next(r)) {
        std::int64_t seq = r.from == u ? r.sender_seq : r.to == u ? r.recipient_seq : 0;
        if (seq == 0) continue;
        latest = std::max(latest, seq);
        if (seq > raw(after)) events.emplace(seq, MailboxEvent{Seq{seq}, chat_of(r)});
      }
    }
    // The notifications not yet folded (main, this snapshot): their seqs
    // count towards the newest.
    NotificationIndex index(*statements_);
    // This transaction read main first, so its archive snapshot may be the
    // newer: a run may hold a notification whose batch main's snapshot does
    // not have yet. It was committed after this replay began, so the live
    // path brings it (the connection holds live events until the replay is
    // sent, and sends each seq once); here it is left out.
    const std::int64_t visible_upto = index.newest_id();
    const std::vector<NotificationEntry> unfolded = index.unfolded_of(u, index.folded_upto());
    for (const NotificationEntry& e : unfolded) latest = std::max(latest, e.seq);
    latest = std::max(latest, stored_last_seq(u));
    // The window: the newest max_events seqs (seqs are gapless per user).
    std::int64_t from = std::max(raw(after), latest - retention.max_events);
    if (raw(after) > latest) page.resync = true;  // a seq this mailbox never had
    if (from > raw(after)) page.resync = true;
    std::erase_if(events, [from](const auto& e) { return e.first <= from; });

    // 2. Notifications: the batches after the fold's mark (read above), then
    // the runs up to it, newest first until one starts at or below `from`
    // (notification_index.hpp).
    std::vector<NotificationEntry> notes;
    for (const NotificationEntry& e : unfolded) {
      if (e.seq > from) notes.push_back(e);
    }
    Statement& note_runs = statements_->get(
        "SELECT entries FROM archive.notification_runs WHERE user_id = ?1 ORDER BY last_id DESC");
    note_runs.bind(1, u);
    while (note_runs.step()) {
      std::vector<NotificationEntry> run = unpack_run(u, note_runs.column_blob(0));
      for (const NotificationEntry& e : run) {
        if (e.seq > from && e.id <= visible_upto) notes.push_back(e);
      }
      if (!run.empty() && run.front().seq <= from) break;
    }
    note_runs.reset();
    if (!notes.empty()) {
      const NotificationReadState state = index.read_state(u);
      for (const NotificationEntry& e : notes) {
        const NotificationBatch* batch = index.batch_of(e.id);
        if (!batch) throw StorageError("notification entry without its batch");
        MailboxNotification n;
        n.id = e.id;
        n.type = batch->content.type;
        n.title = batch->content.title;
        n.message = batch->content.message;
        n.data_json = batch->content.data_json;
        n.link = batch->content.link;
        n.read = state.is_read(e.id);
        n.created_at_ms = batch->created_at_ms;
        events.emplace(e.seq, MailboxEvent{Seq{e.seq}, std::move(n)});
      }
    }

    // 3. The archive: mailbox runs reaching past `from`, then each chat by id.
    Statement& runs = statements_->get(
        "SELECT entries FROM archive.mailbox_runs WHERE user_id = ?1 AND last_seq > ?2"
        " ORDER BY last_seq");
    runs.bind(1, u).bind(2, from);
    std::vector<MailboxEntry> wanted;
    while (runs.step()) {
      for (const MailboxEntry& e : read_mailbox_run(u, runs.column_blob(0))) {
        if (e.seq > from && e.kind == kMailboxChat && !events.contains(e.seq)) wanted.push_back(e);
      }
    }
    Statement& message = statements_->get(
        "SELECT from_user_id, to_user_id, body, created_at FROM archive.messages WHERE id = ?1");
    for (const MailboxEntry& e : wanted) {
      message.reset().bind(1, e.ref_id);
      if (!message.step()) throw StorageError("mailbox entry without its message");
      events.emplace(e.seq, MailboxEvent{Seq{e.seq},
                                         MailboxChat{MessageId{e.ref_id}, UserId{message.column_int(0)},
                                                     UserId{message.column_int(1)},
                                                     message.column_text(2), message.column_int(3)}});
    }
    message.reset();
    run("COMMIT");
  } catch (...) {
    rollback();
    throw;
  }

  page.events.reserve(events.size());
  for (auto& [seq, event] : events) {
    std::int64_t created = std::visit([](const auto& b) { return b.created_at_ms; }, event.body);
    if (created < retention.min_created_at_ms) {
      page.resync = true;  // too old to replay
      continue;
    }
    page.events.push_back(std::move(event));
  }
  return page;
}

void SqliteDatabase::set_mailbox_mark(UserId user, Seq mark) {
  open_job_savepoint();
  statements_->get("UPDATE users SET mailbox_mark = ?2 WHERE id = ?1 AND mailbox_mark < ?2")
      .bind(1, raw(user))
      .bind(2, raw(mark))
      .run();
}

}  // namespace herald::store::sqlite
