#pragma once
// The PostgreSQL schema (docs/CLUSTER.md, "PostgreSQL: storage") as ordered
// migrations; PgDatabase applies the missing ones at open, each in its own
// transaction, under an advisory lock so two nodes starting together do
// not both migrate.
//
// Shaped for the readers first, as the SQLite layout now is, but plainly:
// PostgreSQL's B-trees and MVCC let every node write and read the same
// tables, so there is no log to fold and no second file.
// - Mailbox seqs come from mailbox_heads: a write takes its users' rows
//   (INSERT .. ON CONFLICT DO UPDATE .. RETURNING, a row lock held to the
//   commit), so two nodes never hand out one seq, a rollback gives seqs
//   back, and each user's seqs are gapless in commit order.
// - mailbox holds one row per event (kind 1 chat, 2 notification), the
//   replay's one range scan.
// - partners keeps, per user and partner, the newest message id between
//   them and how many the user received from the partner: the conversation
//   list without scanning messages.
#include <array>
#include <string_view>

namespace herald::store::pg {

inline constexpr std::array<std::string_view, 2> kPgMigrations = {
    R"sql(
CREATE TABLE users (
  id            bigint PRIMARY KEY,
  username      text NOT NULL,
  username_lc   text UNIQUE,       -- set for registered accounts
  password_hash text,              -- Argon2id; NULL for users known only from tokens
  email         text,
  created_at    bigint NOT NULL,   -- unix ms
  last_seen     bigint,            -- unix ms
  mailbox_mark  bigint NOT NULL DEFAULT 0
);
-- A registered account takes the next id above every user's, as SQLite's
-- rowid does (users known only from tokens bring their own ids), under a
-- transaction-scoped advisory lock (PgDatabase::create_account).

CREATE TABLE mailbox_heads (
  user_id  bigint PRIMARY KEY,
  last_seq bigint NOT NULL
);

CREATE TABLE refresh_tokens (
  jti        text PRIMARY KEY,
  user_id    bigint NOT NULL,
  expires_at bigint NOT NULL,      -- unix seconds
  family     text,
  used       boolean NOT NULL DEFAULT false
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);

CREATE TABLE messages (
  id            bigserial PRIMARY KEY,
  from_user_id  bigint NOT NULL,
  to_user_id    bigint NOT NULL,
  body          text NOT NULL,
  client_msg_id text,
  created_at    bigint NOT NULL,
  sender_seq    bigint NOT NULL,
  recipient_seq bigint NOT NULL
);
CREATE UNIQUE INDEX messages_idempotency ON messages (from_user_id, client_msg_id)
  WHERE client_msg_id IS NOT NULL;
CREATE INDEX messages_pair ON messages
  (least(from_user_id, to_user_id), greatest(from_user_id, to_user_id), id);

CREATE TABLE mailbox (
  user_id    bigint NOT NULL,
  seq        bigint NOT NULL,
  kind       smallint NOT NULL,    -- 1 chat (messages.id), 2 notification (notifications.id)
  ref_id     bigint NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (user_id, seq)
);

CREATE TABLE partners (
  user_id    bigint NOT NULL,
  partner_id bigint NOT NULL,
  last_id    bigint NOT NULL,      -- the newest message between them
  received   bigint NOT NULL,      -- messages from partner_id to user_id
  PRIMARY KEY (user_id, partner_id)
);

CREATE TABLE conversation_reads (
  user_id    bigint NOT NULL,
  partner_id bigint NOT NULL,
  read_upto  bigint NOT NULL,      -- a message id
  read_count bigint NOT NULL,      -- messages from partner_id with id <= read_upto
  PRIMARY KEY (user_id, partner_id)
);

CREATE TABLE notifications (
  id         bigserial PRIMARY KEY,
  user_id    bigint NOT NULL,      -- the recipient
  seq        bigint NOT NULL,      -- in the recipient's mailbox
  type       text NOT NULL,
  title      text NOT NULL,
  message    text NOT NULL,
  data       text NOT NULL,        -- a JSON object, as given
  link       text,
  read       boolean NOT NULL DEFAULT false,
  created_at bigint NOT NULL
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id, id) WHERE NOT read;

CREATE TABLE follows (
  follower_id bigint NOT NULL,
  followee_id bigint NOT NULL,
  created_at  bigint NOT NULL,
  PRIMARY KEY (follower_id, followee_id)
);
CREATE INDEX follows_followee ON follows (followee_id, follower_id);

CREATE TABLE posts (
  id         bigserial PRIMARY KEY,
  author_id  bigint NOT NULL,
  content    text NOT NULL,
  created_at bigint NOT NULL
);
CREATE INDEX posts_author ON posts (author_id, id);

CREATE TABLE post_likes (
  post_id    bigint NOT NULL,
  user_id    bigint NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (post_id, user_id)
);

CREATE TABLE comments (
  id         bigserial PRIMARY KEY,
  post_id    bigint NOT NULL,
  author_id  bigint NOT NULL,
  parent_id  bigint,
  content    text NOT NULL,
  created_at bigint NOT NULL
);
CREATE INDEX comments_post ON comments (post_id, id);

CREATE TABLE notified_once (
  kind       smallint NOT NULL,    -- 1 follow, 2 like
  subject_id bigint NOT NULL,
  actor_id   bigint NOT NULL,
  PRIMARY KEY (kind, subject_id, actor_id)
);
)sql",
    // 2: a chat in one round trip (PgDatabase::insert_chat): a repeated
    // client_msg_id answers the first message; else the two users' seqs
    // (smaller user id first, so two nodes' chats between the same users
    // cannot deadlock), the message, both mailbox rows and both partners
    // rows. If the same repeat committed on another node while this one
    // waited for a seq lock, the seqs are given back (still locked, so no
    // one saw them) and the first message is the answer. Six statements
    // from the client were six round trips, most of a chat's cost.
    R"sql(
CREATE FUNCTION herald_insert_chat(p_from bigint, p_to bigint, p_body text, p_cmid text, p_at bigint)
RETURNS TABLE (id bigint, sender_seq bigint, recipient_seq bigint, created_at bigint, duplicate boolean)
LANGUAGE plpgsql AS $$
DECLARE
  v_sender bigint;
  v_recipient bigint;
  v_id bigint;
BEGIN
  IF p_cmid IS NOT NULL THEN
    RETURN QUERY SELECT m.id, m.sender_seq, m.recipient_seq, m.created_at, true
      FROM messages m WHERE m.from_user_id = p_from AND m.client_msg_id = p_cmid;
    IF FOUND THEN RETURN; END IF;
  END IF;
  IF p_from = p_to THEN
    INSERT INTO mailbox_heads AS h (user_id, last_seq) VALUES (p_from, 2)
      ON CONFLICT (user_id) DO UPDATE SET last_seq = h.last_seq + 2 RETURNING h.last_seq - 1 INTO v_sender;
    v_recipient := v_sender + 1;
  ELSIF p_from < p_to THEN
    INSERT INTO mailbox_heads AS h (user_id, last_seq) VALUES (p_from, 1)
      ON CONFLICT (user_id) DO UPDATE SET last_seq = h.last_seq + 1 RETURNING h.last_seq INTO v_sender;
    INSERT INTO mailbox_heads AS h (user_id, last_seq) VALUES (p_to, 1)
      ON CONFLICT (user_id) DO UPDATE SET last_seq = h.last_seq + 1 RETURNING h.last_seq INTO v_recipient;
  ELSE
    INSERT INTO mailbox_heads AS h (user_id, last_seq) VALUES (p_to, 1)
      ON CONFLICT (user_id) DO UPDATE SET last_seq = h.last_seq + 1 RETURNING h.last_seq INTO v_recipient;
    INSERT INTO mailbox_heads AS h (user_id, last_seq) VALUES (p_from, 1)
      ON CONFLICT (user_id) DO UPDATE SET last_seq = h.last_seq + 1 RETURNING h.last_seq INTO v_sender;
  END IF;
  INSERT INTO messages AS m (from_user_id, to_user_id, body, client_msg_id, created_at, sender_seq, recipient_seq)
    VALUES (p_from, p_to, p_body, p_cmid, p_at, v_sender, v_recipient)
    ON CONFLICT DO NOTHING RETURNING m.id INTO v_id;
  IF v_id IS NULL THEN
    UPDATE mailbox_heads SET last_seq = last_seq - (CASE WHEN p_from = p_to THEN 2 ELSE 1 END)
      WHERE user_id = p_from;
    IF p_from <> p_to THEN
      UPDATE mailbox_heads SET last_seq = last_seq - 1 WHERE user_id = p_to;
    END IF;
    RETURN QUERY SELECT m.id, m.sender_seq, m.recipient_seq, m.created_at, true
      FROM messages m WHERE m.from_user_id = p_from AND m.client_msg_id = p_cmid;
    RETURN;
  END IF;
  INSERT INTO mailbox (user_id, seq, kind, ref_id, created_at)
    VALUES (p_from, v_sender, 1, v_id, p_at), (p_to, v_recipient, 1, v_id, p_at);
  -- Each side's newest id (never lowered) and, for the recipient, one more
  -- received; a chat to oneself is one row, received once.
  IF p_from = p_to THEN
    INSERT INTO partners AS pr (user_id, partner_id, last_id, received) VALUES (p_from, p_to, v_id, 1)
      ON CONFLICT (user_id, partner_id) DO UPDATE SET
        last_id = greatest(pr.last_id, excluded.last_id), received = pr.received + excluded.received;
  ELSE
    INSERT INTO partners AS pr (user_id, partner_id, last_id, received)
      VALUES (p_from, p_to, v_id, 0), (p_to, p_from, v_id, 1)
      ON CONFLICT (user_id, partner_id) DO UPDATE SET
        last_id = greatest(pr.last_id, excluded.last_id), received = pr.received + excluded.received;
  END IF;
  RETURN QUERY SELECT v_id, v_sender, v_recipient, p_at, false;
END
$$;
)sql",
};

}  // namespace herald::store::pg
