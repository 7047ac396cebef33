// HeraldClient: one logical connection to Herald that survives sockets.
//
// A socket comes and goes (server restart, network loss, 4010, 4003); the
// client keeps what must outlive it: the resume cursor (so the next socket
// asks for `since` and no event is missed or repeated), the outgoing chat
// queue, the wanted presence status and subscriptions (sent again on every
// new socket), and the presence book. Reconnects wait an exponential
// backoff with full jitter; 4001 (a refused token) is never retried with
// the same token, 4003 (expired) asks getToken for a new one first.
import { Backoff } from './backoff.js';
import { Emitter } from './emitter.js';
import { Outbox, newClientMsgId } from './outbox.js';
import { PresenceBook, type PresenceSnapshot } from './presence.js';
import {
  CloseCode,
  type AckData,
  type ClientMessage,
  type ConnectedMessage,
  type PresenceStatus,
  type ServerMessage,
  type UserId,
} from './protocol.js';
import { HeraldRest, httpBase } from './rest.js';
import { ResumeCursor } from './resume.js';
import { TokenKeeper } from './token.js';

export type {
  ConnectionState,
  ConnectionStatus,
  HeraldClientOptions,
  HeraldEvents,
  WebSocketConstructor,
  WebSocketLike,
} from './client_types.js';
import type {
  ConnectionState,
  HeraldClientOptions,
  HeraldEvents,
  WebSocketConstructor,
  WebSocketLike,
} from './client_types.js';

const OPEN = 1;

export class HeraldClient extends Emitter<HeraldEvents> {
  readonly api: HeraldRest;
  readonly url: string;
  private readonly opts: HeraldClientOptions;
  private readonly tokens: TokenKeeper;
  private readonly cursor: ResumeCursor;
  private readonly outbox: Outbox;
  private readonly backoff: Backoff;
  private readonly book = new PresenceBook();
  private readonly subscriptions = new Set<string>();
  private wantedPresence: { status: PresenceStatus; data?: Record<string, unknown> } | null = null;
  private ws: WebSocketLike | null = null;
  private stopped = true;
  private connectionState: ConnectionState = { status: 'idle', attempt: 0 };
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private pongDue = false;
  private queuePingSent = false;
  private selfId: UserId | null = null;
  private welcome: ConnectedMessage['data'] | null = null;

  constructor(options: HeraldClientOptions) {
    super();
    this.opts = options;
    const origin = (globalThis as any).location?.origin as string | undefined;
    const url = options.url ?? origin;
    if (!url) throw new Error('HeraldClient: url is required outside a browser page');
    if (!options.token && !options.getToken) throw new Error('HeraldClient: token or getToken is required');
    this.url = httpBase(url);
    this.tokens = new TokenKeeper(options.token, options.getToken);
    this.cursor = new ResumeCursor(options.since);
    this.outbox = new Outbox(options.maxQueuedChats ?? 1000);
    this.backoff = new Backoff(options.backoff);
    this.api = new HeraldRest({ url: this.url, token: () => this.tokens.current, fetch: options.fetch });
    if (options.autoConnect !== false) this.connect();
  }

  // ---- public state ----

  get state(): ConnectionState {
    return this.connectionState;
  }
  get isConnected(): boolean {
    return this.connectionState.status === 'connected';
  }
  /** The `connected` data of the current (or last) socket. */
  get session(): ConnectedMessage['data'] | null {
    return this.welcome;
  }
  get userId(): UserId | null {
    return this.selfId;
  }
  get presence(): PresenceSnapshot {
    return this.book.snapshot();
  }
  get onlineCount(): number {
    return this.book.onlineCount;
  }
  /** Pass as `since` to a later client (e.g. after a page reload) to resume there. */
  get resumePosition(): number | null {
    return this.cursor.since();
  }
  get queuedChats(): number {
    return this.outbox.size;
  }
  get token(): string | null {
    return this.tokens.current;
  }

  // ---- lifecycle ----

  connect(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.backoff.reset();
    void this.open();
  }

  /** Closes for good (1000); queued chats are rejected. */
  close(): void {
    this.stopped = true;
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      this.detach(ws);
      try {
        ws.close(1000, 'client closed');
      } catch {
        /* already closing */
      }
    }
    this.cursor.onDisconnected();
    this.outbox.rejectAll('client closed');
    this.setState({ status: 'disconnected', attempt: 0, code: 1000, reason: 'client closed', willRetry: false, retryAt: null, retryInMs: null });
  }

  /** Drops the current socket and reconnects at once (e.g. on a network change). */
  reconnectNow(): void {
    if (this.stopped) return this.connect();
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
      void this.open();
    } else {
      this.ws?.close(4000, 'reconnect');
    }
  }

  // ---- sending ----

  /** Sends a raw frame when open (the seed's sendMessage); false when not sent. */
  send(message: ClientMessage | Record<string, unknown>): boolean {
    if (!this.ws || this.ws.readyState !== OPEN || !this.isConnected) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  /**
   * Sends a chat; resolves with its ack once stored, rejects with a ChatError
   * (USER_NOT_FOUND, INVALID_MESSAGE, RATE_LIMITED, QUEUE_FULL, CLOSED).
   * While disconnected the chat waits in the queue and goes after reconnecting.
   */
  sendChat(toUserId: UserId, message: string, options: { clientMsgId?: string } = {}): Promise<AckData> {
    const { frame, done, fresh } = this.outbox.add(toUserId, message, options.clientMsgId ?? newClientMsgId());
    // Queued while disconnected: the flush after `connected` sends it.
    if (fresh && this.isConnected) this.send(frame);
    return done;
  }

  /** Typing indicator: in a context, or to one user in a direct chat. Not queued. */
  setTyping(isTyping: boolean, context: string, toUserId?: UserId): boolean {
    const data: { is_typing: boolean; context: string; to_user_id?: UserId } = { is_typing: isTyping, context };
    if (toUserId !== undefined) data.to_user_id = toUserId;
    return this.send({ type: 'typing', data });
  }

  /** Sets the status (offline = invisible); kept and set again after a reconnect. */
  setPresence(status: PresenceStatus, data: Record<string, unknown> = {}): void {
    this.wantedPresence = status === 'online' && Object.keys(data).length === 0 ? null : { status, data };
    this.send({ type: 'presence', status, data });
  }

  /** Subscribes to a context (kept across reconnects). */
  subscribe(context: string): void {
    this.subscriptions.add(context);
    this.send({ type: 'subscribe', context });
  }

  unsubscribe(context: string): void {
    this.subscriptions.delete(context);
    this.send({ type: 'unsubscribe', context });
  }

  // ---- the socket ----

  private socketUrl(token: string): string {
    const base = this.url.replace(/^http/, 'ws');
    let url = `${base}/api/v1/ws?token=${encodeURIComponent(token)}`;
    const since = this.cursor.since();
    if (since !== null) url += `&since=${since}`;
    return url;
  }

  private async open(): Promise<void> {
    this.retryTimer = null;
    const attempt = this.backoff.attempts;
    this.setState({ status: 'connecting', attempt });
    let token: string | null;
    try {
      token = await this.tokens.forConnect();
    } catch (err) {
      // getToken failed (network, logged out): try again later like a failed socket.
      return this.scheduleRetry(0, `getToken failed: ${(err as Error).message}`);
    }
    if (this.stopped) return;
    if (!token) return this.fail(CloseCode.INVALID_TOKEN, 'no token');
    const Ctor = this.opts.WebSocket ?? ((globalThis as any).WebSocket as WebSocketConstructor | undefined);
    if (!Ctor) throw new Error('HeraldClient: no WebSocket; pass the `ws` package as options.WebSocket');
    let ws: WebSocketLike;
    try {
      ws = new Ctor(this.socketUrl(token));
    } catch (err) {
      return this.scheduleRetry(0, (err as Error).message);
    }
    this.ws = ws;
    this.connectTimer = setTimeout(() => {
      if (this.ws === ws && !this.isConnected) ws.close(4000, 'connect timeout');
    }, this.opts.connectTimeoutMs ?? 15000);
    ws.onmessage = (ev) => this.onFrame(ws, ev.data);
    ws.onclose = (ev) => this.onSocketClosed(ws, ev.code, ev.reason);
    ws.onerror = () => {
      /* onclose follows with the code */
    };
  }

  private detach(ws: WebSocketLike): void {
    ws.onmessage = null;
    ws.onclose = null;
    ws.onopen = null;
    // Not null: the `ws` package raises an unhandled 'error' when a socket
    // still connecting is closed and nobody listens.
    ws.onerror = () => {};
  }

  private onFrame(ws: WebSocketLike, raw: unknown): void {
    if (ws !== this.ws) return;
    let m: ServerMessage;
    try {
      m = JSON.parse(typeof raw === 'string' ? raw : String(raw));
    } catch {
      return;
    }
    switch (m.type) {
      case 'connected':
        this.onConnected(m);
        return; // emitted by onConnected, in the right order
      case 'pong':
        this.pongDue = false;
        if (this.queuePingSent) {
          this.queuePingSent = false;
          this.cursor.queueDone();
        }
        break;
      case 'chat':
      case 'notification':
        if (!this.cursor.accept(m.seq)) return; // a replayed duplicate
        break;
      case 'ack':
        this.cursor.accept(m.data.seq);
        this.outbox.ack(m.data);
        break;
      case 'error':
        this.outbox.fail(m);
        if (m.error_code === 'INVALID_TOKEN') this.emit('auth_failed', { code: 0, reason: m.message });
        break;
      case 'user_status':
      case 'presence':
        this.book.apply(m);
        this.emit('presence_change', this.book.snapshot());
        break;
      case 'auth_ok':
        this.scheduleRefresh();
        break;
    }
    this.emit(m.type as any, m as any);
    this.emit('message', m);
  }

  private onConnected(m: ConnectedMessage): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.welcome = m.data;
    this.selfId = m.data.user_id;
    this.backoff.reset();
    const replaying = this.cursor.onConnected(m.data);
    this.book.onConnected(m.data.online_count, m.data.user_id);
    this.setState({ status: 'connected', attempt: 0 });
    this.emit('connected', m);
    this.emit('message', m);
    if (m.data.resync) this.emit('resync', m);
    this.emit('presence_change', this.book.snapshot());
    // The pong to this ping comes after the offline queue: then the cursor
    // knows the queue is through (resume.ts).
    if (replaying) {
      this.queuePingSent = true;
      this.send({ type: 'ping', timestamp: new Date().toISOString() });
    }
    this.startHeartbeat();
    this.scheduleRefresh();
    if (this.wantedPresence) this.send({ type: 'presence', ...this.wantedPresence });
    for (const context of this.subscriptions) this.send({ type: 'subscribe', context });
    // The queue flushes once per socket, in order; the server's idempotency
    // on client_msg_id makes a resend of an unacknowledged chat harmless.
    for (const frame of this.outbox.pending()) this.send(frame);
    if (this.opts.presenceSnapshot !== false) void this.readPresence();
  }

  private async readPresence(): Promise<void> {
    const ws = this.ws;
    this.book.beginSnapshot();
    try {
      const users = [];
      for (let offset = 0; offset < 100000; offset += 1000) {
        const page = await this.api.online({ limit: 1000, offset });
        users.push(...page.users);
        if (page.users.length < 1000) break;
      }
      if (ws !== this.ws) return this.book.abandonSnapshot();
      this.book.applySnapshot(users);
      this.emit('presence_change', this.book.snapshot());
    } catch {
      this.book.abandonSnapshot();
    }
  }

  private onSocketClosed(ws: WebSocketLike, code: number, reason: string): void {
    if (ws !== this.ws) return;
    this.detach(ws);
    this.ws = null;
    this.clearTimers();
    this.cursor.onDisconnected();
    if (this.stopped) return;
    if (code === CloseCode.INVALID_TOKEN) {
      // The same token will be refused again: stop, the app must log in.
      this.tokens.invalidate();
      return this.fail(code, reason || 'invalid token');
    }
    if (code === CloseCode.TOKEN_EXPIRED) {
      if (!this.tokens.refreshable) return this.fail(code, reason || 'token expired');
      this.tokens.invalidate();
    }
    this.scheduleRetry(code, reason);
  }

  private fail(code: number, reason: string): void {
    this.stopped = true;
    this.clearTimers();
    this.emit('auth_failed', { code, reason });
    this.setState({ status: 'disconnected', attempt: this.backoff.attempts, code, reason, willRetry: false, retryAt: null, retryInMs: null });
  }

  private scheduleRetry(code: number, reason: string): void {
    if (this.stopped) return;
    const attempt = this.backoff.attempts;
    const delay = this.backoff.next();
    this.setState({
      status: 'disconnected',
      attempt: attempt + 1,
      code,
      reason,
      willRetry: true,
      retryAt: Date.now() + delay,
      retryInMs: delay,
    });
    this.retryTimer = setTimeout(() => void this.open(), delay);
  }

  private setState(s: ConnectionState): void {
    this.connectionState = s;
    this.emit('state', s);
    if (s.status === 'connecting') this.emit('connecting', s);
    if (s.status === 'disconnected') this.emit('disconnected', s);
  }

  // ---- timers ----

  private startHeartbeat(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pongDue = false;
    this.pingTimer = setInterval(() => {
      const ws = this.ws;
      if (!ws) return;
      if (this.pongDue) {
        // No pong for a whole period: the path is dead though TCP has not noticed.
        ws.close(4000, 'pong timeout');
        return;
      }
      this.pongDue = true;
      this.send({ type: 'ping', timestamp: new Date().toISOString() });
    }, this.opts.pingIntervalMs ?? 30000);
  }

  /** In-band `auth` shortly before the token expires, so the socket is never closed 4003. */
  private scheduleRefresh(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    const exp = this.tokens.expiresAt();
    if (!this.tokens.refreshable || exp === null || this.opts.inBandRefresh === false) return;
    const lifetime = this.tokens.lifetimeMs();
    let margin = this.opts.refreshBeforeExpiryMs ?? 60000;
    if (lifetime !== null) margin = Math.min(margin, Math.max(1000, lifetime / 5));
    const delay = Math.max(0, exp - margin - Date.now());
    this.refreshTimer = setTimeout(async () => {
      try {
        const token = await this.tokens.refresh();
        this.emit('token', token);
        this.send({ type: 'auth', token });
      } catch {
        // getToken failed: the server will close 4003 at exp and the reconnect asks again.
      }
    }, delay);
  }

  private clearTimers(): void {
    for (const t of [this.retryTimer, this.refreshTimer, this.connectTimer]) if (t) clearTimeout(t);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.retryTimer = this.refreshTimer = this.connectTimer = this.pingTimer = null;
    this.queuePingSent = false;
  }
}
