// Exactly-once delivery across reconnects (PROTOCOL.md 4.3). Every chat and
// notification carries the `seq` of this user's mailbox, and so does the
// `ack` of a chat this connection sent (the seq its copy has elsewhere).
//
// The cursor keeps a watermark W (every seq <= W has been handled) and the
// set of handled seqs above it: events may arrive out of seq order (an ack
// and a chat take different paths), so W advances only over a gap-free run.
// A reconnect asks for `since=W`; the replay can then repeat only what is
// in the set, and those are dropped. Nothing missed, nothing doubled.
//
// The first connection has no W: it connects without `since` (as the seed
// does) and the server sends `connected`, then the offline queue (events
// that came while the user had no connection, all with seq <= last_seq),
// then live events. Everything up to last_seq was either delivered to an
// earlier connection of the user or is in that queue, so once the queue is
// through, W = last_seq. The client learns that it is through from the
// pong to a ping sent on `connected` (the server answers it after what it
// had already queued), or from the first event above last_seq. A socket
// lost before that resumes from the highest queued seq it saw.

export class ResumeCursor {
  private watermark: number | null;
  private readonly above = new Set<number>();
  private queueUpTo = 0; // the first connection's last_seq while its queue arrives
  private queueHigh = 0; // highest queued seq handled
  private inQueue = false;

  constructor(since?: number | null) {
    this.watermark = since ?? null;
  }

  /** The `since` to connect with; null for a first connection (offline queue). */
  since(): number | null {
    return this.watermark;
  }

  /** Handles connected.data; returns true when this connection replays an offline queue. */
  onConnected(data: { last_seq?: number; resync?: boolean }): boolean {
    const last = data.last_seq;
    if (last === undefined) return false;
    if (this.watermark === null) {
      this.queueUpTo = last;
      this.queueHigh = 0;
      this.inQueue = last > 0;
      if (!this.inQueue) this.watermark = last;
      return this.inQueue;
    }
    if (data.resync && this.watermark > last) {
      // Our position is not this mailbox's (a reset server): live from last_seq.
      this.watermark = last;
      this.above.clear();
    }
    return false;
  }

  /** The offline queue is through (the pong to the ping sent on `connected`). */
  queueDone(): void {
    if (!this.inQueue) return;
    this.inQueue = false;
    this.watermark = this.queueUpTo;
    for (const s of [...this.above]) if (s <= this.watermark) this.above.delete(s);
    this.advance();
  }

  /** The socket closed: a queue not yet through resumes from what was seen. */
  onDisconnected(): void {
    if (!this.inQueue) return;
    this.inQueue = false;
    this.watermark = this.queueHigh > 0 ? this.queueHigh : null;
    this.advance();
  }

  /**
   * Records one seq; false when it was handled before (a replayed duplicate
   * to drop). Events without seq (an older server) always pass.
   */
  accept(seq: number | undefined | null): boolean {
    if (seq === undefined || seq === null) return true;
    if (this.inQueue) {
      if (seq <= this.queueUpTo) {
        if (seq <= this.queueHigh) return false;
        this.queueHigh = seq;
        if (seq === this.queueUpTo) this.queueDone();
        return true;
      }
      // Live events come after the whole queue.
      this.queueDone();
    }
    if (this.watermark !== null && seq <= this.watermark) return false;
    if (this.above.has(seq)) return false;
    this.above.add(seq);
    this.advance();
    return true;
  }

  private advance(): void {
    if (this.watermark === null) return;
    while (this.above.has(this.watermark + 1)) {
      this.watermark++;
      this.above.delete(this.watermark);
    }
  }
}
