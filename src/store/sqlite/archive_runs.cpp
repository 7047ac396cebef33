#include "store/sqlite/archive_runs.hpp"

#include <string>

#include "store/database.hpp"
#include "store/sqlite/packed_int.hpp"
#include "store/sqlite/statement.hpp"

namespace herald::store::sqlite {

namespace {
// Calls emit(first, last) for each run: consecutive entries with the same
// key, at most kMaxRunEntries long.
template <class Entry, class SameKey, class Emit>
void for_each_run(std::span<const Entry> sorted, SameKey same_key, Emit emit) {
  std::size_t begin = 0;
  while (begin < sorted.size()) {
    std::size_t end = begin + 1;
    while (end < sorted.size() && end - begin < kMaxRunEntries && same_key(sorted[begin], sorted[end])) {
      ++end;
    }
    emit(sorted.subspan(begin, end - begin));
    begin = end;
  }
}
}  // namespace

void insert_mailbox_runs(Statement& insert, std::span<const MailboxEntry> sorted) {
  std::string packed;
  for_each_run(
      sorted, [](const MailboxEntry& a, const MailboxEntry& b) { return a.user == b.user; },
      [&](std::span<const MailboxEntry> run) {
        packed.clear();
        for (const MailboxEntry& e : run) {
          put_int64(packed, e.seq);
          put_int64(packed, e.kind);
          put_int64(packed, e.ref_id);
          put_int64(packed, e.created_at);
        }
        insert.reset()
            .bind(1, run.front().user)
            .bind(2, run.back().seq)
            .bind(3, run.front().seq)
            .bind_blob(4, packed)
            .run();
      });
}

void insert_conversation_runs(Statement& insert, std::span<const ConversationEntry> sorted) {
  std::string packed;
  for_each_run(
      sorted,
      [](const ConversationEntry& a, const ConversationEntry& b) {
        return a.user_lo == b.user_lo && a.user_hi == b.user_hi;
      },
      [&](std::span<const ConversationEntry> run) {
        packed.clear();
        for (const ConversationEntry& e : run) put_int64(packed, e.message_id);
        insert.reset()
            .bind(1, run.front().user_lo)
            .bind(2, run.front().user_hi)
            .bind(3, run.back().message_id)
            .bind(4, run.front().message_id)
            .bind_blob(5, packed)
            .run();
      });
}

void pack_rows_into_runs(sqlite3* db, const std::string& from, const std::string& to) {
  // One key's entries at a time: a run never spans two users or pairs.
  std::vector<MailboxEntry> user_entries;
  Statement mailbox_insert(db, "INSERT OR IGNORE INTO " + to +
                                   ".mailbox_runs (user_id, last_seq, first_seq, entries)"
                                   " VALUES (?1, ?2, ?3, ?4)");
  Statement mailbox_rows(db, "SELECT user_id, seq, kind, ref_id, created_at FROM " + from +
                                 ".mailbox ORDER BY user_id, seq");
  while (mailbox_rows.step()) {
    MailboxEntry e{mailbox_rows.column_int(0), mailbox_rows.column_int(1), mailbox_rows.column_int(2),
                   mailbox_rows.column_int(3), mailbox_rows.column_int(4)};
    if (!user_entries.empty() && user_entries.front().user != e.user) {
      insert_mailbox_runs(mailbox_insert, user_entries);
      user_entries.clear();
    }
    user_entries.push_back(e);
  }
  insert_mailbox_runs(mailbox_insert, user_entries);

  std::vector<ConversationEntry> pair_entries;
  Statement pair_insert(db, "INSERT OR IGNORE INTO " + to +
                                ".conversation_runs (user_lo, user_hi, last_id, first_id, ids)"
                                " VALUES (?1, ?2, ?3, ?4, ?5)");
  Statement pair_rows(db, "SELECT min(from_user_id, to_user_id), max(from_user_id, to_user_id), id"
                          " FROM " + from + ".messages ORDER BY 1, 2, 3");
  while (pair_rows.step()) {
    ConversationEntry e{pair_rows.column_int(0), pair_rows.column_int(1), pair_rows.column_int(2)};
    if (!pair_entries.empty() &&
        (pair_entries.front().user_lo != e.user_lo || pair_entries.front().user_hi != e.user_hi)) {
      insert_conversation_runs(pair_insert, pair_entries);
      pair_entries.clear();
    }
    pair_entries.push_back(e);
  }
  insert_conversation_runs(pair_insert, pair_entries);
}

std::vector<MailboxEntry> read_mailbox_run(std::int64_t user, std::string_view entries) {
  constexpr std::size_t kEntryBytes = 4 * sizeof(std::int64_t);
  if (entries.size() % kEntryBytes != 0) throw StorageError("mailbox run: malformed entries");
  std::vector<MailboxEntry> out;
  out.reserve(entries.size() / kEntryBytes);
  for (const char* p = entries.data(); p != entries.data() + entries.size(); p += kEntryBytes) {
    out.push_back({user, take_int64(p), take_int64(p + 8), take_int64(p + 16), take_int64(p + 24)});
  }
  return out;
}

std::vector<std::int64_t> read_conversation_run(std::string_view ids) {
  if (ids.size() % sizeof(std::int64_t) != 0) throw StorageError("conversation run: malformed ids");
  std::vector<std::int64_t> out;
  out.reserve(ids.size() / sizeof(std::int64_t));
  for (const char* p = ids.data(); p != ids.data() + ids.size(); p += sizeof(std::int64_t)) {
    out.push_back(take_int64(p));
  }
  return out;
}

}  // namespace herald::store::sqlite
