// Presence as the SDK keeps it (PROTOCOL.md 5).
//
// The count follows the seed's arithmetic from the `connected` snapshot:
// +1 per `online`, -1 per `offline`. The server guarantees each connection's
// user_status stream carries exactly the transitions after its snapshot,
// none repeated, so this equals /online/count whenever the system is quiet.
//
// The per-user map starts from GET /online, read after every `connected`
// (a reconnect, a resync, may have missed transitions). user_status events
// that arrive while that read is in flight are applied again on top of it:
// each one sets a user's state outright, so re-applying an event the
// snapshot already includes changes nothing, and the newest event wins.
import type { PresenceMessage, PresenceStatus, UserId, UserStatusMessage } from './protocol.js';
import type { OnlineUser } from './rest.js';

export interface UserPresence {
  user_id: UserId;
  online: boolean;
  /** online, away, busy; offline when not online. */
  status: PresenceStatus;
  last_seen: string | null;
  data?: Record<string, unknown>;
}

export interface PresenceSnapshot {
  onlineCount: number;
  /** Users known to the client: online ones, and those seen going offline (with last_seen). */
  users: ReadonlyMap<UserId, UserPresence>;
}

export class PresenceBook {
  private count = 0;
  private users = new Map<UserId, UserPresence>();
  private pending: Array<UserStatusMessage | PresenceMessage> | null = null;

  get onlineCount(): number {
    return this.count;
  }

  snapshot(): PresenceSnapshot {
    return { onlineCount: this.count, users: new Map(this.users) };
  }

  /** A new connection: its `connected` count is the base of the arithmetic. */
  onConnected(onlineCount: number, selfId: UserId): void {
    this.count = onlineCount;
    const self = this.users.get(selfId);
    this.users.set(selfId, {
      user_id: selfId,
      online: true,
      status: self?.online ? self.status : 'online',
      last_seen: new Date().toISOString(),
      data: self?.data,
    });
  }

  /** A GET /online read is starting: events from now on are kept to re-apply. */
  beginSnapshot(): void {
    this.pending = [];
  }

  /** The read's answer; users not in it are offline now. */
  applySnapshot(online: OnlineUser[]): void {
    const next = new Map<UserId, UserPresence>();
    for (const [id, u] of this.users) if (!u.online) next.set(id, u);
    for (const [id, u] of this.users) {
      if (u.online) next.set(id, { ...u, online: false, status: 'offline' });
    }
    for (const u of online) {
      next.set(u.user_id, {
        user_id: u.user_id,
        online: u.online,
        status: u.online ? (u.status ?? 'online') : 'offline',
        last_seen: u.last_seen,
        data: this.users.get(u.user_id)?.data,
      });
    }
    this.users = next;
    const replay = this.pending ?? [];
    this.pending = null;
    for (const m of replay) this.applyToMap(m);
  }

  /** The read failed: keep what the events say. */
  abandonSnapshot(): void {
    this.pending = null;
  }

  apply(message: UserStatusMessage | PresenceMessage): void {
    if (message.type === 'user_status') this.count += message.data.status === 'online' ? 1 : -1;
    this.applyToMap(message);
    this.pending?.push(message);
  }

  private applyToMap(message: UserStatusMessage | PresenceMessage): void {
    const id = message.data.user_id;
    const prev = this.users.get(id);
    if (message.type === 'user_status') {
      const online = message.data.status === 'online';
      this.users.set(id, {
        user_id: id,
        online,
        status: online ? (prev?.online ? prev.status : 'online') : 'offline',
        last_seen: message.data.timestamp ?? prev?.last_seen ?? null,
        data: prev?.data,
      });
    } else {
      const status = message.data.status;
      this.users.set(id, {
        user_id: id,
        online: status === 'offline' ? false : (prev?.online ?? true),
        status,
        last_seen: prev?.last_seen ?? null,
        data: message.data.data,
      });
    }
  }
}
