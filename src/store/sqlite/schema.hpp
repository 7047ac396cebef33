#pragma once
// The SQLite schema as ordered migrations, one list per database file.
// Migration i brings a file from user_version i to i+1; applied at open.
//
// Two files, because SQLite allows one writer per file: the main file
// (users, tokens, follows, the chat log) is written by the StorageRunner's
// writer; the archive file (messages, mailbox) only by the fold, which runs
// on its own thread and connection (SqliteDatabase::compact). So a fold of
// thousands of chats never holds the writer, and acks, back.
#include <array>
#include <cstddef>
#include <string_view>

namespace herald::store::sqlite {

inline constexpr std::array<std::string_view, 10> kMigrations = {
    R"sql(
CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  username      TEXT NOT NULL,
  username_lc   TEXT,            -- set for registered accounts: unique login name
  password_hash TEXT,            -- Argon2id; NULL for users known only from tokens
  email         TEXT,
  created_at    INTEGER NOT NULL, -- unix ms
  last_seen     INTEGER,          -- unix ms
  last_seq      INTEGER NOT NULL DEFAULT 0  -- latest mailbox seq (PROTOCOL 4.3)
);
CREATE UNIQUE INDEX users_username_lc ON users(username_lc) WHERE username_lc IS NOT NULL;

CREATE TABLE refresh_tokens (
  jti        TEXT PRIMARY KEY,
  user_id    INTEGER NOT NULL,
  expires_at INTEGER NOT NULL   -- unix seconds
);

CREATE TABLE messages (
  id            INTEGER PRIMARY KEY,
  from_user_id  INTEGER NOT NULL,
  to_user_id    INTEGER NOT NULL,
  body          TEXT NOT NULL,
  client_msg_id TEXT,
  created_at    INTEGER NOT NULL,
  sender_seq    INTEGER NOT NULL,
  recipient_seq INTEGER NOT NULL
);
CREATE UNIQUE INDEX messages_idempotency ON messages(from_user_id, client_msg_id)
  WHERE client_msg_id IS NOT NULL;
CREATE INDEX messages_to ON messages(to_user_id, from_user_id, id);
CREATE INDEX messages_from ON messages(from_user_id, to_user_id, id);

-- One row per event in a user's mailbox: kind 1 = chat (ref = messages.id),
-- kind 2 = notification (ref = notifications.id, a later migration).
CREATE TABLE mailbox (
  user_id    INTEGER NOT NULL,
  seq        INTEGER NOT NULL,
  kind       INTEGER NOT NULL,
  ref_id     INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, seq)
) WITHOUT ROWID;

CREATE TABLE follows (
  follower_id INTEGER NOT NULL,
  followee_id INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (follower_id, followee_id)
) WITHOUT ROWID;
CREATE INDEX follows_followee ON follows(followee_id, follower_id);
)sql",
    // 2: the chat write path touches fewer B-trees (docs/BENCHMARKS.md,
    // "Chat"). Mailbox seqs are allocated by the writer from the mailbox
    // itself, so users.last_seq is no longer bumped per message; and one
    // index on the unordered pair serves a conversation in both directions.
    R"sql(
ALTER TABLE users DROP COLUMN last_seq;
DROP INDEX messages_to;
DROP INDEX messages_from;
CREATE INDEX messages_pair ON messages(min(from_user_id, to_user_id), max(from_user_id, to_user_id), id);
)sql",
    // 3: chats land in chat_log first (no secondary index: appends dirty a
    // page or two per commit) and are folded into messages + mailbox in
    // sorted batches (SqliteDatabase::fold_chat_log). Same columns as
    // messages; ids are assigned by the writer and continue across both.
    R"sql(
CREATE TABLE chat_log (
  id            INTEGER PRIMARY KEY,
  from_user_id  INTEGER NOT NULL,
  to_user_id    INTEGER NOT NULL,
  body          TEXT NOT NULL,
  client_msg_id TEXT,
  created_at    INTEGER NOT NULL,
  sender_seq    INTEGER NOT NULL,
  recipient_seq INTEGER NOT NULL
);
)sql",
    // 4: messages and mailbox live in the archive file. Their rows are
    // copied there first, in the archive's own transaction
    // (SqliteDatabase::move_chats_to_archive), then dropped here.
    R"sql(
DROP TABLE main.messages;
DROP TABLE main.mailbox;
)sql",
    // 5: chats land in chat_blocks, one row per group commit holding that
    // commit's chats packed (chat_block.hpp), keyed by the newest id in it:
    // one B-tree insert per commit, not one per chat. chat_log stays for a
    // log an older version left behind; the first open folds and empties
    // it (SqliteDatabase::fold_leftovers), and nothing writes it since.
    R"sql(
CREATE TABLE chat_blocks (
  last_id  INTEGER PRIMARY KEY,
  first_id INTEGER NOT NULL,
  records  BLOB NOT NULL
);
)sql",
    // 6: refresh-token families (Database::rotate_refresh_token). A rotated
    // token stays, marked used, so presenting it again is seen as reuse and
    // revokes its family; tokens from before have no family (they start
    // their own). The expiry index lets each new token remove a few expired.
    R"sql(
ALTER TABLE refresh_tokens ADD COLUMN family TEXT;
ALTER TABLE refresh_tokens ADD COLUMN used INTEGER NOT NULL DEFAULT 0;
CREATE INDEX refresh_tokens_family ON refresh_tokens(family) WHERE family IS NOT NULL;
CREATE INDEX refresh_tokens_expiry ON refresh_tokens(expires_at);
)sql",
    // 7: the rest of the seed's backend (PROTOCOL.md 4.3, 6.3, 6.4).
    // users.mailbox_mark: the user's mailbox seq when their last connection
    // closed; a connection without `since` is replayed what came after it
    // (the offline queue). Notifications are per-recipient rows carrying
    // their mailbox seq (a reader replays them by (user_id, seq) beside the
    // chats), with a partial index for the unread ones. Posts, likes and
    // comments exist to raise the seed's notifications.
    R"sql(
ALTER TABLE users ADD COLUMN mailbox_mark INTEGER NOT NULL DEFAULT 0;

CREATE TABLE notifications (
  id         INTEGER PRIMARY KEY,
  user_id    INTEGER NOT NULL,   -- the recipient
  seq        INTEGER NOT NULL,   -- in the recipient's mailbox
  type       TEXT NOT NULL,
  title      TEXT NOT NULL,
  message    TEXT NOT NULL,
  data       TEXT NOT NULL,      -- a JSON object, as given
  link       TEXT,
  read       INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL    -- unix ms
);
CREATE INDEX notifications_user ON notifications(user_id, id);
CREATE UNIQUE INDEX notifications_user_seq ON notifications(user_id, seq);
CREATE INDEX notifications_unread ON notifications(user_id, id) WHERE read = 0;

CREATE TABLE posts (
  id         INTEGER PRIMARY KEY,
  author_id  INTEGER NOT NULL,
  content    TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX posts_author ON posts(author_id, id);

CREATE TABLE post_likes (
  post_id    INTEGER NOT NULL,
  user_id    INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (post_id, user_id)
) WITHOUT ROWID;

CREATE TABLE comments (
  id         INTEGER PRIMARY KEY,
  post_id    INTEGER NOT NULL,
  author_id  INTEGER NOT NULL,
  parent_id  INTEGER,            -- the comment this one answers
  content    TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX comments_post ON comments(post_id, id);
)sql",
    // 8: the social actions that notify once per (subject, actor) ever
    // (PROTOCOL.md 6.3): a follow (subject = the followed user) and a like
    // (subject = the post). The follows and post_likes rows go on unfollow
    // and unlike; this row stays, so toggling never notifies twice.
    R"sql(
CREATE TABLE notified_once (
  kind       INTEGER NOT NULL,   -- 1 = follow, 2 = like
  subject_id INTEGER NOT NULL,
  actor_id   INTEGER NOT NULL,
  PRIMARY KEY (kind, subject_id, actor_id)
) WITHOUT ROWID;
)sql",
    // 9: chat history's read state (PROTOCOL.md 6.5, sqlite_history.cpp):
    // per user and partner, the newest message id the user has read in that
    // conversation and how many messages from the partner that covered, so
    // the unread count is archive.partners.received (plus the log's) minus
    // read_count. Written by the writer (a mark-read job), hence in main.
    R"sql(
CREATE TABLE conversation_reads (
  user_id    INTEGER NOT NULL,
  partner_id INTEGER NOT NULL,
  read_upto  INTEGER NOT NULL,   -- a message id
  read_count INTEGER NOT NULL,   -- messages from partner_id with id <= read_upto
  PRIMARY KEY (user_id, partner_id)
) WITHOUT ROWID;
)sql",
    // 10: notifications as one row per publish (notification_pack.hpp): the
    // content once and the recipients packed, ids first_id..last_id in
    // recipient order. A publish to 10,000 users was 10,000 inserts into
    // each of three per-user indexes, one leaf page dirtied per recipient,
    // and each call slower than the last as they grew (docs/PERFORMANCE.md,
    // "Publish"). The per-user index is now archive.notification_runs,
    // written by the fold. Read state: every notification of a user with
    // id <= notification_marks.read_upto is read ("mark all"), and so is
    // each (user_id, id) in notification_reads ("mark one", ids above it).
    // Each old row becomes a batch of one, its read flag a read row.
    R"sql(
CREATE TABLE notification_batches (
  last_id    INTEGER PRIMARY KEY,
  first_id   INTEGER NOT NULL,
  type       TEXT NOT NULL,
  title      TEXT NOT NULL,
  message    TEXT NOT NULL,
  data       TEXT NOT NULL,      -- a JSON object, as given
  link       TEXT,
  created_at INTEGER NOT NULL,   -- unix ms
  recipients BLOB NOT NULL       -- last: a content read never loads it
);
CREATE TABLE notification_marks (
  user_id   INTEGER PRIMARY KEY,
  read_upto INTEGER NOT NULL
);
CREATE TABLE notification_reads (
  user_id INTEGER NOT NULL,
  id      INTEGER NOT NULL,
  PRIMARY KEY (user_id, id)
) WITHOUT ROWID;
INSERT INTO notification_batches (last_id, first_id, type, title, message, data, link, created_at, recipients)
  SELECT id, id, type, title, message, data, link, created_at,
         herald_pack_recipient(user_id, seq)  -- SqliteDatabase registers it
  FROM notifications ORDER BY id;
INSERT INTO notification_reads (user_id, id) SELECT user_id, id FROM notifications WHERE read = 1;
DROP TABLE notifications;
)sql",
};

// Index of the main migration before which the archive receives the main
// file's messages and mailbox rows.
inline constexpr std::size_t kMoveChatsToArchiveBefore = 3;

// The archive file: messages and mailboxes as migration 3 left them in the
// main file, and a chat's id continues the chat log's. The table text is
// written out again rather than shared with migration 1: every migration is
// frozen history, and one file's may not change with the other's.
inline constexpr std::array<std::string_view, 5> kArchiveMigrations = {
    R"sql(
CREATE TABLE messages (
  id            INTEGER PRIMARY KEY,
  from_user_id  INTEGER NOT NULL,
  to_user_id    INTEGER NOT NULL,
  body          TEXT NOT NULL,
  client_msg_id TEXT,
  created_at    INTEGER NOT NULL,
  sender_seq    INTEGER NOT NULL,
  recipient_seq INTEGER NOT NULL
);
CREATE UNIQUE INDEX messages_idempotency ON messages(from_user_id, client_msg_id)
  WHERE client_msg_id IS NOT NULL;
CREATE INDEX messages_pair ON messages(min(from_user_id, to_user_id), max(from_user_id, to_user_id), id);

-- One row per event in a user's mailbox: kind 1 = chat (ref = messages.id),
-- kind 2 = notification (ref = notifications.id, a later migration).
CREATE TABLE mailbox (
  user_id    INTEGER NOT NULL,
  seq        INTEGER NOT NULL,
  kind       INTEGER NOT NULL,
  ref_id     INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, seq)
) WITHOUT ROWID;
)sql",
    // 2: mailboxes and conversations as packed runs (archive_runs.hpp): a
    // fold writes one row per user and one per conversation, not one
    // B-tree entry per chat in each. The rows of version 1 are packed into
    // runs before migration 3 drops them (kPackRunsBeforeArchive).
    R"sql(
CREATE TABLE mailbox_runs (
  user_id   INTEGER NOT NULL,
  last_seq  INTEGER NOT NULL,
  first_seq INTEGER NOT NULL,
  entries   BLOB NOT NULL,   -- (seq, kind, ref_id, created_at) per entry, by seq
  PRIMARY KEY (user_id, last_seq)
) WITHOUT ROWID;

-- The messages between two users (user_lo < user_hi), ids ascending.
CREATE TABLE conversation_runs (
  user_lo  INTEGER NOT NULL,
  user_hi  INTEGER NOT NULL,
  last_id  INTEGER NOT NULL,
  first_id INTEGER NOT NULL,
  ids      BLOB NOT NULL,
  PRIMARY KEY (user_lo, user_hi, last_id)
) WITHOUT ROWID;
)sql",
    // 3: the per-entry tables, now packed into runs.
    R"sql(
DROP TABLE mailbox;
DROP INDEX messages_pair;
)sql",
    // 4: chat history's conversation list (PROTOCOL.md 6.5): one row per
    // user and partner, both ways round, with the newest message id between
    // them and how many the user received from the partner. The fold upserts
    // each side of each pair of its chats once, in key order
    // (SqliteDatabase::upsert_partners). No index by last_id: it doubled
    // the fold's cost with many pairs, and a list reads the user's rows
    // (one B-tree range) and sorts them. Filled here from the messages
    // already archived.
    R"sql(
CREATE TABLE partners (
  user_id    INTEGER NOT NULL,
  partner_id INTEGER NOT NULL,
  last_id    INTEGER NOT NULL,   -- the newest message between them
  received   INTEGER NOT NULL,   -- messages from partner_id to user_id
  PRIMARY KEY (user_id, partner_id)
) WITHOUT ROWID;
INSERT INTO partners (user_id, partner_id, last_id, received)
  SELECT u, p, max(id), sum(got) FROM (
    SELECT to_user_id AS u, from_user_id AS p, id, 1 AS got FROM messages
    UNION ALL
    SELECT from_user_id, to_user_id, id, 0 FROM messages)
  GROUP BY u, p;
)sql",
    // 5: the notifications' per-user index (main migration 10): each user's
    // entries (id, seq) packed in runs, one row per user per fold, and how
    // far the fold has come: every batch with last_id <= folded_upto is in
    // the runs, the later ones only in main (readers scan those).
    R"sql(
CREATE TABLE notification_runs (
  user_id  INTEGER NOT NULL,
  last_id  INTEGER NOT NULL,
  first_id INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  entries  BLOB NOT NULL,   -- (id, seq) per entry, ids ascending
  PRIMARY KEY (user_id, last_id)
) WITHOUT ROWID;
CREATE TABLE notification_fold (
  only        INTEGER PRIMARY KEY CHECK (only = 1),
  folded_upto INTEGER NOT NULL
);
INSERT INTO notification_fold (only, folded_upto) VALUES (1, 0);
)sql",
};

// Index of the archive migration before which version 1's mailbox rows and
// message pairs are packed into runs (pack_rows_into_runs).
inline constexpr std::size_t kPackRunsBeforeArchive = 2;

}  // namespace herald::store::sqlite
