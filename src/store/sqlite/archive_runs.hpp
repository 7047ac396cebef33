#pragma once
// The archive's mailbox and conversation indexes are stored as packed
// runs: a fold writes each user's new mailbox entries as one row of
// mailbox_runs, and each conversation's new message ids as one row of
// conversation_runs, instead of one B-tree entry per chat per index.
// (Micro benchmark: the per-entry mailbox rows and the pair index were
// 3.6 of the 7.8 us the SQLite path cost per chat; docs/PERFORMANCE.md.)
//
// A mailbox entry packs (seq, kind, ref_id, created_at), a conversation
// entry the message id: 64-bit little-endian integers, in key order.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace herald::store::sqlite {

class Statement;

struct MailboxEntry {
  std::int64_t user = 0;
  std::int64_t seq = 0;
  std::int64_t kind = 0;
  std::int64_t ref_id = 0;
  std::int64_t created_at = 0;
};

struct ConversationEntry {
  std::int64_t user_lo = 0;
  std::int64_t user_hi = 0;
  std::int64_t message_id = 0;
  bool from_lo = false;  // sent by user_lo (the fold's partner counts; not stored in runs)
};

// A run holds at most this many entries, so one row stays a few pages.
inline constexpr std::size_t kMaxRunEntries = 4096;

// Inserts entries sorted by (user, seq) as runs through `insert`, which
// takes (user_id, last_seq, first_seq, entries).
void insert_mailbox_runs(Statement& insert, std::span<const MailboxEntry> sorted);
// Inserts entries sorted by (user_lo, user_hi, message_id) as runs through
// `insert`, which takes (user_lo, user_hi, last_id, first_id, ids).
void insert_conversation_runs(Statement& insert, std::span<const ConversationEntry> sorted);

// Packs the per-entry rows of archive version 1 into runs: `from`.mailbox
// and the pairs of `from`.messages into `to`.mailbox_runs and
// `to`.conversation_runs (schema names, never user input). Streams in key
// order; INSERT OR IGNORE, so a repeat after an interruption adds nothing.
void pack_rows_into_runs(sqlite3* db, const std::string& from, const std::string& to);

// Unpacks one mailbox_runs row; a malformed blob throws StorageError.
std::vector<MailboxEntry> read_mailbox_run(std::int64_t user, std::string_view entries);
// Unpacks one conversation_runs row's ids.
std::vector<std::int64_t> read_conversation_run(std::string_view ids);

}  // namespace herald::store::sqlite
