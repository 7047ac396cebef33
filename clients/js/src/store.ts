// HeraldStore: the app-level state both bindings (React, Vue) expose, kept
// in one framework-neutral place so they cannot drift apart.
//
// It owns a HeraldClient per start() and folds its events into an immutable
// snapshot (a new object per change, so React's useSyncExternalStore and
// Vue's shallowRef both see changes by identity): the seed's `messages`
// list and online count, plus notifications with their unread count, the
// presence map, conversations by partner and who is typing.
import { HeraldClient, type ConnectionState, type HeraldClientOptions } from './client.js';
import type { PresenceSnapshot, UserPresence } from './presence.js';
import type { AckData, ChatData, ChatMessage, NotificationData, NotificationMessage, PresenceStatus, UserId } from './protocol.js';

export interface ConversationMessage extends ChatData {
  /** A chat of ours not yet acknowledged (queued or in flight). */
  pending?: boolean;
  client_msg_id?: string;
  failed?: string;
}

export interface TypingState {
  context: string;
  since: number;
}

export interface HeraldSnapshot {
  state: ConnectionState;
  isConnected: boolean;
  userId: UserId | null;
  /** The seed's list: notification and chat messages as received. */
  messages: Array<ChatMessage | NotificationMessage>;
  onlineCount: number;
  presence: ReadonlyMap<UserId, UserPresence>;
  notifications: NotificationData[];
  unreadCount: number;
  /** Chats by partner user id, oldest first. */
  conversations: Readonly<Record<number, ConversationMessage[]>>;
  /** Users typing now (to us or in a context we subscribe to). */
  typing: Readonly<Record<number, TypingState>>;
}

export interface HeraldStoreOptions extends HeraldClientOptions {
  /** Cap of the seed-style messages list (default 500). */
  maxMessages?: number;
  /** Load the first page of notifications and the unread count over REST (default true). */
  loadNotifications?: boolean;
  /** A typing indicator without a stop is dropped after this long (default 8 s). */
  typingTimeoutMs?: number;
}

const initial = (): HeraldSnapshot => ({
  state: { status: 'idle', attempt: 0 },
  isConnected: false,
  userId: null,
  messages: [],
  onlineCount: 0,
  presence: new Map(),
  notifications: [],
  unreadCount: 0,
  conversations: {},
  typing: {},
});

export class HeraldStore {
  client: HeraldClient | null = null;
  private snap: HeraldSnapshot = initial();
  private listeners = new Set<() => void>();
  private unbind: Array<() => void> = [];
  private typingTimer: ReturnType<typeof setInterval> | null = null;

  constructor(private options: HeraldStoreOptions) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): HeraldSnapshot => this.snap;

  /** Starts a new client (a no-op without token or getToken). */
  start(options?: HeraldStoreOptions): void {
    this.stop();
    if (options) this.options = options;
    if (!this.options.token && !this.options.getToken) return;
    this.snap = initial();
    const client = new HeraldClient({ ...this.options, autoConnect: false });
    this.client = client;
    const on = client.on.bind(client);
    this.unbind = [
      on('state', (state) => this.update({ state, isConnected: state.status === 'connected' })),
      on('connected', (m) => {
        this.update({ userId: m.data.user_id });
        if (this.options.loadNotifications !== false) void this.loadNotifications();
        else this.update({ unreadCount: m.data.unread_notifications ?? this.snap.unreadCount });
      }),
      on('presence_change', (p: PresenceSnapshot) => this.update({ onlineCount: p.onlineCount, presence: p.users })),
      on('notification', (m) => this.onNotification(m)),
      on('chat', (m) => this.onChat(m)),
      on('typing', (m) => {
        const typing = { ...this.snap.typing };
        if (m.data.is_typing) typing[m.data.user_id] = { context: m.data.context, since: Date.now() };
        else delete typing[m.data.user_id];
        this.update({ typing });
      }),
    ];
    const timeout = this.options.typingTimeoutMs ?? 8000;
    this.typingTimer = setInterval(() => {
      const now = Date.now();
      const stale = Object.entries(this.snap.typing).filter(([, t]) => now - t.since > timeout);
      if (!stale.length) return;
      const typing = { ...this.snap.typing };
      for (const [id] of stale) delete typing[Number(id)];
      this.update({ typing });
    }, 1000);
    client.connect();
  }

  stop(): void {
    for (const off of this.unbind) off();
    this.unbind = [];
    if (this.typingTimer) clearInterval(this.typingTimer);
    this.typingTimer = null;
    this.client?.close();
    this.client = null;
  }

  // ---- actions ----

  /** The seed's sendMessage: a raw frame, sent only when connected. */
  sendMessage = (message: Record<string, unknown>): boolean => this.client?.send(message) ?? false;

  setTyping = (isTyping: boolean, context: string, toUserId?: UserId): boolean =>
    this.client?.setTyping(isTyping, context, toUserId) ?? false;

  setPresence = (status: PresenceStatus, data: Record<string, unknown> = {}): void => {
    this.client?.setPresence(status, data);
  };

  /** Sends a chat; it shows in the conversation at once, marked pending until its ack. */
  sendChat = async (toUserId: UserId, message: string): Promise<AckData> => {
    const client = this.client;
    if (!client) throw new Error('not started');
    const clientMsgId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    const local: ConversationMessage = {
      from_user_id: this.snap.userId ?? client.userId ?? 0,
      from_username: '',
      to_user_id: toUserId,
      message,
      timestamp: new Date().toISOString(),
      pending: true,
      client_msg_id: clientMsgId,
    };
    this.putChat(toUserId, local);
    try {
      const ack = await client.sendChat(toUserId, message, { clientMsgId });
      this.replaceChat(toUserId, clientMsgId, { ...local, id: ack.id, timestamp: ack.timestamp, pending: false });
      return ack;
    } catch (err) {
      this.replaceChat(toUserId, clientMsgId, { ...local, pending: false, failed: (err as Error).message });
      throw err;
    }
  };

  /** Loads the newest page of the conversation with a user (6.5), merged with what is live. */
  loadConversation = async (partner: UserId): Promise<void> => {
    const client = this.client;
    if (!client) return;
    const page = await client.api.messages(partner, { limit: 50 });
    const list = [...(this.snap.conversations[partner] ?? [])];
    for (const m of page.items) {
      if (!list.some((x) => x.id === m.id)) list.push({ ...m, from_username: String(m.from_username ?? '') });
    }
    list.sort((a, b) => (a.id ?? Infinity) - (b.id ?? Infinity));
    this.update({ conversations: { ...this.snap.conversations, [partner]: list } });
  };

  markRead = async (id: number): Promise<void> => {
    await this.client?.api.markRead(id);
    const n = this.snap.notifications.find((x) => x.id === id);
    const wasUnread = n && !n.read;
    this.update({
      notifications: this.snap.notifications.map((x) => (x.id === id ? { ...x, read: true } : x)),
      unreadCount: wasUnread ? Math.max(0, this.snap.unreadCount - 1) : this.snap.unreadCount,
    });
  };

  markAllRead = async (): Promise<void> => {
    await this.client?.api.markAllRead();
    this.update({ notifications: this.snap.notifications.map((x) => ({ ...x, read: true })), unreadCount: 0 });
  };

  // ---- folding events ----

  private async loadNotifications(): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      const [page, unread] = await Promise.all([client.api.notifications({ limit: 50 }), client.api.unreadCount()]);
      if (client !== this.client) return;
      const live = this.snap.notifications.filter((n) => !page.items.some((p) => p.id === n.id));
      const all = [...live, ...page.items].sort((a, b) => b.id - a.id);
      this.update({ notifications: all, unreadCount: unread.unread_count });
    } catch {
      /* the live stream still works; the list fills as events come */
    }
  }

  private onNotification(m: NotificationMessage): void {
    const max = this.options.maxMessages ?? 500;
    const known = this.snap.notifications.some((n) => n.id === m.data.id);
    this.update({
      messages: [...this.snap.messages, m].slice(-max),
      notifications: known ? this.snap.notifications : [m.data, ...this.snap.notifications],
      unreadCount: known || m.data.read ? this.snap.unreadCount : this.snap.unreadCount + 1,
    });
  }

  private onChat(m: ChatMessage): void {
    const max = this.options.maxMessages ?? 500;
    const me = this.snap.userId;
    const partner = m.data.from_user_id === me ? (m.data.to_user_id ?? 0) : m.data.from_user_id;
    const typing = { ...this.snap.typing };
    delete typing[m.data.from_user_id];
    this.update({ messages: [...this.snap.messages, m].slice(-max), typing });
    this.putChat(partner, { ...m.data });
  }

  private putChat(partner: UserId, msg: ConversationMessage): void {
    const list = this.snap.conversations[partner] ?? [];
    if (msg.id !== undefined && list.some((x) => x.id === msg.id)) return;
    this.update({ conversations: { ...this.snap.conversations, [partner]: [...list, msg] } });
  }

  private replaceChat(partner: UserId, clientMsgId: string, msg: ConversationMessage): void {
    let list = this.snap.conversations[partner] ?? [];
    // A copy of the same message may already be there (from history): keep one.
    if (msg.id !== undefined) list = list.filter((x) => x.id !== msg.id || x.client_msg_id === clientMsgId);
    list = list.map((x) => (x.client_msg_id === clientMsgId ? msg : x));
    this.update({ conversations: { ...this.snap.conversations, [partner]: list } });
  }

  private update(patch: Partial<HeraldSnapshot>): void {
    this.snap = { ...this.snap, ...patch };
    for (const l of [...this.listeners]) l();
  }
}

/** The store's actions, as both bindings hand them to a component. */
export function storeActions(store: HeraldStore) {
  return {
    sendMessage: store.sendMessage,
    sendChat: store.sendChat,
    setTyping: store.setTyping,
    setPresence: store.setPresence,
    markRead: store.markRead,
    markAllRead: store.markAllRead,
    loadConversation: store.loadConversation,
  };
}
