// The outgoing chat queue (the seed's best practice 4: "buffer messages
// while disconnected and send them after reconnecting").
//
// Every chat gets a client_msg_id and stays here until its `ack` (or its
// error, matched by `ref`) arrives. After a reconnect every entry still here
// is sent again, once, in order. A chat whose ack was lost with the socket
// is then sent twice, but the server keys idempotency on (user,
// client_msg_id) and answers the repeat with the first message's id without
// delivering it again, so the recipient sees it once.
import type { AckData, ClientMessage, ErrorMessage, UserId } from './protocol.js';

export class ChatError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ChatError';
  }
}

interface Entry {
  id: string;
  frame: Extract<ClientMessage, { type: 'message' }>;
  resolve: (ack: AckData) => void;
  reject: (err: Error) => void;
}

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits.
 * Time-ordered on purpose: the server indexes each sender's ids to answer
 * repeats, and ids that grow land at the end of that index, where random
 * ones (UUIDv4) land anywhere in it and make every stored chat dearer as
 * history grows (docs/PERFORMANCE.md, "Chat over a growing archive").
 */
export function newClientMsgId(now: number = Date.now()): string {
  const bytes = new Uint8Array(16);
  const c = (globalThis as any).crypto;
  if (c?.getRandomValues) {
    c.getRandomValues(bytes);
  } else {
    for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  }
  const high = Math.floor(now / 2 ** 32); // the top 16 of the 48 bits
  const low = now % 2 ** 32;
  bytes[0] = (high >>> 8) & 0xff;
  bytes[1] = high & 0xff;
  bytes[2] = (low >>> 24) & 0xff;
  bytes[3] = (low >>> 16) & 0xff;
  bytes[4] = (low >>> 8) & 0xff;
  bytes[5] = low & 0xff;
  bytes[6] = (bytes[6] & 0x0f) | 0x70; // version 7
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 9562 variant
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export class Outbox {
  private entries = new Map<string, Entry>();

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** Queues one chat; the promise settles with its ack or its error. */
  add(toUserId: UserId, message: string, clientMsgId: string): { frame: Entry['frame']; done: Promise<AckData>; fresh: boolean } {
    const frame: Entry['frame'] = {
      type: 'message',
      to_user_id: toUserId,
      message,
      timestamp: new Date().toISOString(),
      client_msg_id: clientMsgId,
    };
    const existing = this.entries.get(clientMsgId);
    if (existing) {
      // The same id twice is the same message: share its outcome.
      return {
        frame: existing.frame,
        fresh: false,
        done: new Promise((resolve, reject) => {
          const { resolve: r0, reject: j0 } = existing;
          existing.resolve = (a) => (r0(a), resolve(a));
          existing.reject = (e) => (j0(e), reject(e));
        }),
      };
    }
    let entry!: Entry;
    const done = new Promise<AckData>((resolve, reject) => {
      entry = { id: clientMsgId, frame, resolve, reject };
    });
    if (this.entries.size >= this.limit) {
      entry.reject(new ChatError('QUEUE_FULL', `outgoing queue is full (${this.limit} chats)`));
      return { frame, done, fresh: false };
    }
    this.entries.set(clientMsgId, entry);
    return { frame, done, fresh: true };
  }

  /** Frames to send after a reconnect, in the order they were queued. */
  pending(): Array<Entry['frame']> {
    return [...this.entries.values()].map((e) => e.frame);
  }

  ack(data: AckData): boolean {
    const e = data.client_msg_id ? this.entries.get(data.client_msg_id) : undefined;
    if (!e) return false;
    this.entries.delete(e.id);
    e.resolve(data);
    return true;
  }

  fail(error: ErrorMessage): boolean {
    const e = error.ref ? this.entries.get(error.ref) : undefined;
    if (!e) return false;
    this.entries.delete(e.id);
    e.reject(new ChatError(error.error_code, error.message));
    return true;
  }

  /** The client was closed for good: nothing here will be sent. */
  rejectAll(reason: string): void {
    for (const e of this.entries.values()) e.reject(new ChatError('CLOSED', reason));
    this.entries.clear();
  }
}
