// The pure parts, without a server: backoff windows and the resume cursor.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff, ResumeCursor, newClientMsgId } from '../dist/index.js';

test('backoff: full jitter within a doubling window, capped, reset after success', () => {
  const top = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0.999999 });
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => top.next()), [99, 199, 399, 799, 999, 999]);
  top.reset();
  assert.equal(top.next(), 99);
  const bottom = new Backoff({ random: () => 0 });
  assert.equal(bottom.next(), 0, 'full jitter reaches zero');
});

test('resume cursor: out-of-order seqs, duplicates dropped, since is gap-free', () => {
  const c = new ResumeCursor(10);
  assert.equal(c.since(), 10);
  assert.equal(c.accept(12), true);
  assert.equal(c.since(), 10, 'a gap at 11 holds the watermark');
  assert.equal(c.accept(11), true);
  assert.equal(c.since(), 12);
  assert.equal(c.accept(12), false, 'a replayed duplicate');
  assert.equal(c.accept(9), false);
  assert.equal(c.accept(undefined), true, 'events without seq pass');
});

test('resume cursor: the first connection takes the offline queue, then resumes from last_seq', () => {
  const c = new ResumeCursor();
  assert.equal(c.since(), null, 'first connection: no since');
  assert.equal(c.onConnected({ last_seq: 5 }), true, 'a queue may follow');
  assert.equal(c.accept(2), true);
  assert.equal(c.accept(4), true);
  c.queueDone();
  assert.equal(c.since(), 5);
  assert.equal(c.accept(6), true);
  assert.equal(c.since(), 6);
  const lost = new ResumeCursor();
  lost.onConnected({ last_seq: 9 });
  lost.accept(3);
  lost.onDisconnected();
  assert.equal(lost.since(), 3, 'a queue cut short resumes from what it saw');
});

test('client_msg_id: a UUIDv7 whose order follows time, unique', () => {
  const shape = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const t = Date.UTC(2026, 11, 6, 12, 0, 0);
  const ids = [0, 1, 2, 1000, 86_400_000].map((dt) => newClientMsgId(t + dt));
  for (const id of ids) assert.match(id, shape);
  assert.deepEqual([...ids].sort(), ids, 'later ids sort after earlier ones');
  assert.equal(ids[0].replaceAll('-', '').slice(0, 12), t.toString(16).padStart(12, '0'), '48-bit ms first');
  const many = new Set(Array.from({ length: 10000 }, () => newClientMsgId(t)));
  assert.equal(many.size, 10000, 'the same millisecond still gives distinct ids');
});
