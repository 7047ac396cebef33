// SqliteDatabase, chat history (PROTOCOL.md 6.5): a conversation's pages,
// a user's conversation list with unread counts, and marking read.
//
// Chats live in two places (sqlite_database.hpp): the log (main.chat_blocks,
// packed, no index) and the archive the fold moves them into. A reader
// reads the log first, then the archive, in one read transaction whose
// archive snapshot begins at its first archive read; the writer releases a
// block only after the archive committed all of it. So a chat committed
// before the read is in one place or the other, even while a fold runs or
// its blocks are being released; one in both is the same chat, kept once
// (by id). Counts follow the same rule: log chats are counted only above
// the archive's newest id as this read sees it (the archive holds every id
// up to there, and only those).
//
// Where the archive answers:
// - a conversation: archive.conversation_runs by (user_lo, user_hi, last_id)
//   from the cursor down, then each message by id (a page of 50 is about
//   two runs and 51 point reads);
// - the conversation list: archive.partners (archive migration 4), one row
//   per user and partner with the newest message id and the count the user
//   received: the user's rows are one range of its key, read whole and
//   the newest `limit + 1` picked (O(partners); no index by last_id, which
//   doubled the fold's cost with many pairs); the fold upserts each side of
//   each pair once per fold, in key order. Unread = received - main.conversation_reads's
//   read_count (main migration 9): marking read stores how many messages
//   from the partner the read covered, so no count ever scans messages.
//
// The log is not re-read whole each time: each reader connection keeps a
// copy (HistoryLog). Stored blocks never change; new ones are appended with
// higher ids and released ones leave from the front, so a read fetches
// only the blocks above its copy and drops those below the oldest stored.
// The copy is then scanned in memory (a few tens of thousands of chats at
// most, the fold's pace keeps it so: fold_pace.hpp).
#include <algorithm>
#include <deque>
#include <limits>
#include <thread>
#include <unordered_map>

#include "store/sqlite/archive_runs.hpp"
#include "store/sqlite/chat_block.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "store/sqlite/statement.hpp"

namespace herald::store::sqlite {

class SqliteDatabase::HistoryLog {
 public:
  // Who a record is between, kept apart from the records so a scan of the
  // log touches 24 bytes per chat.
  struct Who {
    std::int64_t id;
    std::int64_t from;
    std::int64_t to;
  };

  // Brings the copy to the log as the open read transaction sees it.
  void sync(Statements& statements) {
    Statement& oldest =
        statements.get("SELECT last_id FROM main.chat_blocks ORDER BY last_id LIMIT 1");
    std::int64_t oldest_last = oldest.step() ? oldest.column_int(0) : 0;
    oldest.reset();
    if (oldest_last == 0) {
      clear();
    } else {
      while (!blocks_.empty() && blocks_.front().last < oldest_last) drop_front();
    }
    Statement& fresh = statements.get(
        "SELECT last_id, first_id, records FROM main.chat_blocks WHERE last_id > ?1 ORDER BY "
        "last_id");
    fresh.bind(1, blocks_.empty() ? std::int64_t{0} : blocks_.back().last);
    while (fresh.step()) {
      blocks_.push_back(
          Block{fresh.column_int(1), fresh.column_int(0), std::string(fresh.column_blob(2))});
      ChatBlockReader reader(blocks_.back().records);  // views into the deque's element: stable
      ChatRecord r;
      while (reader.next(r)) {
        records_.push_back(r);
        who_.push_back(Who{r.id, r.from, r.to});
      }
    }
  }

  const std::deque<Who>& who() const { return who_; }
  const ChatRecord& record(std::size_t index) const { return records_[index]; }

 private:
  struct Block {
    std::int64_t first;
    std::int64_t last;
    std::string records;
  };
  void clear() {
    blocks_.clear();
    records_.clear();
    who_.clear();
  }
  void drop_front() {
    std::int64_t last = blocks_.front().last;
    while (!records_.empty() && records_.front().id <= last) {
      records_.pop_front();
      who_.pop_front();
    }
    blocks_.pop_front();
  }

  std::deque<Block> blocks_;  // a deque never moves its elements: views stay valid
  std::deque<ChatRecord> records_;
  std::deque<Who> who_;
};

SqliteDatabase::HistoryLog& SqliteDatabase::history_log() {
  if (!history_log_) history_log_ = std::make_shared<HistoryLog>();
  return *history_log_;
}

namespace {

HistoryMessage message_of(const ChatRecord& r, std::int64_t reader) {
  return HistoryMessage{MessageId{r.id}, UserId{r.from},
                        UserId{r.to},    std::string(r.body),
                        r.created_at,    Seq{r.from == reader ? r.sender_seq : r.recipient_seq}};
}

// A message of the archive by id, as `reader` sees it.
HistoryMessage archived_message(Statements& statements, std::int64_t id, std::int64_t reader) {
  Statement& m = statements.get(
      "SELECT from_user_id, to_user_id, body, created_at, sender_seq, recipient_seq"
      " FROM archive.messages WHERE id = ?1");
  m.bind(1, id);
  if (!m.step()) throw StorageError("conversation entry without its message");
  HistoryMessage h{MessageId{id},    UserId{m.column_int(0)}, UserId{m.column_int(1)},
                   m.column_text(2), m.column_int(3),         Seq{}};
  h.seq = Seq{m.column_int(0) == reader ? m.column_int(4) : m.column_int(5)};
  m.reset();
  return h;
}

struct PartnerRow {
  std::int64_t last_id = 0;
  std::int64_t received = 0;
};
// The archive's row for (user, partner); zeros when none.
PartnerRow archived_partner(Statements& statements, std::int64_t user, std::int64_t partner) {
  Statement& p = statements.get(
      "SELECT last_id, received FROM archive.partners WHERE user_id = ?1 AND partner_id = ?2");
  p.bind(1, user).bind(2, partner);
  PartnerRow row;
  if (p.step()) row = PartnerRow{p.column_int(0), p.column_int(1)};
  p.reset();
  return row;
}

// How many messages from `partner` the stored read state of `user` covers.
std::int64_t read_count(Statements& statements, std::int64_t user, std::int64_t partner) {
  Statement& r = statements.get(
      "SELECT read_count FROM main.conversation_reads WHERE user_id = ?1 AND partner_id = ?2");
  r.bind(1, user).bind(2, partner);
  std::int64_t count = r.step() ? r.column_int(0) : 0;
  r.reset();
  return count;
}

}  // namespace

ConversationPage SqliteDatabase::read_conversation(UserId user, UserId partner, MessageId before,
                                                   std::size_t limit) {
  const std::int64_t u = raw(user), p = raw(partner), below = raw(before);
  const std::int64_t lo = std::min(u, p), hi = std::max(u, p);
  const std::size_t want = limit + 1;  // one more tells whether more remain
  ConversationPage page;
  std::vector<HistoryMessage> found;  // from both places, any order
  run("BEGIN");
  try {
    // 1. The log, before the archive: the whole conversation there.
    HistoryLog& log = history_log();
    log.sync(*statements_);
    std::int64_t newest = 0;
    std::vector<std::int64_t> log_received;  // ids from the partner
    for (std::size_t i = log.who().size(); i-- > 0;) {
      const HistoryLog::Who& w = log.who()[i];
      if (!((w.from == u && w.to == p) || (w.from == p && w.to == u))) continue;
      newest = std::max(newest, w.id);
      if (w.from == p) log_received.push_back(w.id);
      if (w.id < below) found.push_back(message_of(log.record(i), u));
    }

    // 2. The archive: the newest `want` ids below the cursor. Runs of one
    // pair never overlap, so at most one run reaches past the cursor.
    std::vector<std::int64_t> ids;
    Statement& straddle = statements_->get(
        "SELECT ids FROM archive.conversation_runs WHERE user_lo = ?1 AND user_hi = ?2"
        " AND last_id >= ?3 ORDER BY last_id LIMIT 1");
    straddle.bind(1, lo).bind(2, hi).bind(3, below);
    if (straddle.step()) {
      for (std::int64_t id : read_conversation_run(straddle.column_blob(0))) {
        if (id < below) ids.push_back(id);
      }
    }
    straddle.reset();
    Statement& older = statements_->get(
        "SELECT ids FROM archive.conversation_runs WHERE user_lo = ?1 AND user_hi = ?2"
        " AND last_id < ?3 ORDER BY last_id DESC");
    older.bind(1, lo).bind(2, hi).bind(3, below);
    while (ids.size() < want && older.step()) {
      for (std::int64_t id : read_conversation_run(older.column_blob(0))) ids.push_back(id);
    }
    older.reset();
    std::sort(ids.begin(), ids.end(), std::greater<>());
    if (ids.size() > want) ids.resize(want);

    std::sort(found.begin(), found.end(),
              [](const auto& a, const auto& b) { return raw(a.id) > raw(b.id); });
    // Merge: the log's copy wins; only archive ids that can make the page
    // are read.
    std::vector<HistoryMessage> merged;
    merged.reserve(want);
    auto from_log = found.begin();
    auto from_archive = ids.begin();
    while (merged.size() < want && (from_log != found.end() || from_archive != ids.end())) {
      std::int64_t log_id = from_log != found.end() ? raw(from_log->id) : 0;
      std::int64_t archive_id = from_archive != ids.end() ? *from_archive : 0;
      if (log_id >= archive_id) {
        if (log_id == archive_id) ++from_archive;  // in both: the same chat
        merged.push_back(std::move(*from_log++));
      } else {
        merged.push_back(archived_message(*statements_, archive_id, u));
        ++from_archive;
      }
    }

    // 3. What marking read needs: received in all, by the same rule
    // (the log counted only above the archive's newest id).
    std::int64_t archived = scalar("SELECT coalesce(max(id), 0) FROM archive.messages");
    PartnerRow stored = archived_partner(*statements_, u, p);
    page.received = stored.received;
    for (std::int64_t id : log_received) page.received += id > archived ? 1 : 0;
    page.newest = MessageId{std::max(newest, stored.last_id)};
    page.read = read_count(*statements_, u, p);
    run("COMMIT");

    page.more = merged.size() > limit;
    if (page.more) merged.resize(limit);
    page.messages = std::move(merged);
  } catch (...) {
    rollback();
    throw;
  }
  return page;
}

ConversationList SqliteDatabase::list_conversations(UserId user, MessageId before,
                                                    std::size_t limit) {
  const std::int64_t u = raw(user), below = raw(before);
  const std::size_t want = limit + 1;
  ConversationList list;
  run("BEGIN");
  try {
    // 1. The log first: per partner, the newest chat there and the ids
    // received from them.
    struct LogPartner {
      std::size_t newest = 0;  // index into the log copy
      std::vector<std::int64_t> received;
    };
    HistoryLog& log = history_log();
    log.sync(*statements_);
    std::unordered_map<std::int64_t, LogPartner> in_log;
    for (std::size_t i = log.who().size(); i-- > 0;) {
      const HistoryLog::Who& w = log.who()[i];
      std::int64_t partner = w.from == u ? w.to : w.to == u ? w.from : 0;
      if (partner == 0) continue;
      auto [it, first] = in_log.try_emplace(partner);
      if (first) it->second.newest = i;  // scanning newest first
      if (w.from == partner) it->second.received.push_back(w.id);
    }

    // 2. The archive, as of its first read here.
    std::int64_t archived = scalar("SELECT coalesce(max(id), 0) FROM archive.messages");
    struct Row {
      std::int64_t partner = 0;
      std::int64_t last_id = 0;
      std::int64_t received = 0;
      const ChatRecord* last = nullptr;  // in the log copy, or read from the archive
    };
    // Partners with chats in the log: their last message and counts merge
    // both places (one point read each).
    std::vector<Row> rows;
    for (auto& [partner, lp] : in_log) {
      PartnerRow stored = archived_partner(*statements_, u, partner);
      const ChatRecord& r = log.record(lp.newest);
      Row row{partner, std::max(r.id, stored.last_id), stored.received, nullptr};
      if (row.last_id == r.id) row.last = &r;
      for (std::int64_t id : lp.received) row.received += id > archived ? 1 : 0;
      if (row.last_id < below) rows.push_back(row);
    }
    // The others: every archived partner of the user (one B-tree range,
    // O(partners): about 0.1 us a row, fine for thousands), newest first.
    Statement& partners = statements_->get(
        "SELECT partner_id, last_id, received FROM archive.partners WHERE user_id = ?1");
    partners.bind(1, u);
    while (partners.step()) {
      std::int64_t partner = partners.column_int(0), last_id = partners.column_int(1);
      if (last_id >= below || in_log.contains(partner)) continue;
      rows.push_back(Row{partner, last_id, partners.column_int(2), nullptr});
    }
    auto newest_first = [](const Row& a, const Row& b) { return a.last_id > b.last_id; };
    if (rows.size() > want) {
      std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(want), rows.end(),
                        newest_first);
      rows.resize(want);
    } else {
      std::sort(rows.begin(), rows.end(), newest_first);
    }
    list.more = rows.size() > limit;
    if (list.more) rows.resize(limit);

    list.conversations.reserve(rows.size());
    for (const Row& row : rows) {
      ConversationSummary s;
      s.partner = UserId{row.partner};
      s.last = row.last ? message_of(*row.last, u) : archived_message(*statements_, row.last_id, u);
      s.unread = std::max<std::int64_t>(0, row.received - read_count(*statements_, u, row.partner));
      list.conversations.push_back(std::move(s));
    }
    run("COMMIT");
  } catch (...) {
    rollback();
    throw;
  }
  return list;
}

void SqliteDatabase::mark_conversation_read(UserId user, UserId partner, MessageId upto,
                                            std::int64_t received) {
  open_job_savepoint();
  statements_
      ->get(
          "INSERT INTO main.conversation_reads (user_id, partner_id, read_upto, read_count)"
          " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (user_id, partner_id) DO UPDATE SET"
          " read_upto = excluded.read_upto, read_count = excluded.read_count"
          " WHERE excluded.read_upto > read_upto")
      .bind(1, raw(user))
      .bind(2, raw(partner))
      .bind(3, raw(upto))
      .bind(4, received)
      .run();
}

// The fold's part (insert_runs): for each pair of the fold's chats, two
// rows (each side's newest id and received count), upserted in key order
// so each page of the table is touched once per fold, yielding the core
// every 512 rows as the rest of the fold does.
void SqliteDatabase::upsert_partners(std::span<const ConversationEntry> sorted) {
  struct Delta {
    std::int64_t user, partner, last_id, received;
  };
  std::vector<Delta> deltas;
  std::size_t i = 0;
  while (i < sorted.size()) {
    const ConversationEntry& first = sorted[i];
    std::int64_t last_id = 0, lo_received = 0, hi_received = 0;
    for (; i < sorted.size() && sorted[i].user_lo == first.user_lo &&
           sorted[i].user_hi == first.user_hi;
         ++i) {
      last_id = std::max(last_id, sorted[i].message_id);
      (sorted[i].from_lo ? hi_received : lo_received) += 1;
    }
    deltas.push_back({first.user_lo, first.user_hi, last_id, lo_received});
    deltas.push_back({first.user_hi, first.user_lo, last_id, hi_received});
  }
  std::sort(deltas.begin(), deltas.end(), [](const Delta& a, const Delta& b) {
    return a.user != b.user ? a.user < b.user : a.partner < b.partner;
  });
  Statement& upsert = statements_->get(
      "INSERT INTO archive.partners (user_id, partner_id, last_id, received) VALUES (?1, ?2, ?3, "
      "?4)"
      " ON CONFLICT (user_id, partner_id) DO UPDATE SET"
      " last_id = max(last_id, excluded.last_id), received = received + excluded.received");
  std::size_t done = 0;
  for (const Delta& d : deltas) {
    upsert.reset().bind(1, d.user).bind(2, d.partner).bind(3, d.last_id).bind(4, d.received).run();
    if (++done % 512 == 0) std::this_thread::yield();
  }
}

}  // namespace herald::store::sqlite
