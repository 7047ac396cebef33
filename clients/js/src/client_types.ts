// The shapes HeraldClient is configured and observed through: its options,
// the WebSocket it needs, its connection state and its typed events.
import type { BackoffOptions } from './backoff.js';
import type { PresenceSnapshot } from './presence.js';
import type { TokenSource } from './token.js';
import type {
  AckMessage,
  AuthOkMessage,
  ChatMessage,
  ConnectedMessage,
  ErrorMessage,
  NotificationMessage,
  PongMessage,
  PresenceMessage,
  ServerMessage,
  SubscribedMessage,
  TypingMessage,
  UnsubscribedMessage,
  UserStatusMessage,
} from './protocol.js';

/** The WebSocket constructor shape the client needs (browsers' and the `ws` package's). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: any) => void) | null;
  onmessage: ((ev: { data: any }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: any) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface HeraldClientOptions {
  /** Server origin ("https://chat.example.com", "ws://127.0.0.1:8000"); default: the page's origin. */
  url?: string;
  /** A fixed access token. */
  token?: string;
  /** Called for a token at first connect, after a 4003 and before expiry. */
  getToken?: TokenSource;
  /** Resume position from an earlier session (ResumeCursor); default: the server's offline queue. */
  since?: number | null;
  /** WebSocket implementation; default globalThis.WebSocket (browsers, Node 22+). */
  WebSocket?: WebSocketConstructor;
  /** Heartbeat period (the seed's 30 s). */
  pingIntervalMs?: number;
  backoff?: BackoffOptions;
  /** Refresh in band this long before `exp` (capped at a fifth of the token's lifetime). */
  refreshBeforeExpiryMs?: number;
  /** Send an in-band `auth` with a new token before expiry (default true; needs getToken). */
  inBandRefresh?: boolean;
  /** Chats kept while disconnected; more are rejected with QUEUE_FULL. */
  maxQueuedChats?: number;
  /** Read GET /online after each `connected` to fill the presence map (default true). */
  presenceSnapshot?: boolean;
  /** A socket that has not said `connected` within this long is dropped and retried. */
  connectTimeoutMs?: number;
  /** Connect in the constructor (default true). */
  autoConnect?: boolean;
  fetch?: typeof fetch;
}

export type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'disconnected';

export interface ConnectionState {
  status: ConnectionStatus;
  /** Reconnect attempt number (0 for the first connection). */
  attempt: number;
  /** Close code and reason of the last socket. */
  code?: number;
  reason?: string;
  /** When disconnected: whether and when the client will try again. */
  willRetry?: boolean;
  retryAt?: number | null;
  retryInMs?: number | null;
}

export interface HeraldEvents {
  // One event per server message type, with the message as the server sent it.
  connected: ConnectedMessage;
  pong: PongMessage;
  user_status: UserStatusMessage;
  presence: PresenceMessage;
  typing: TypingMessage;
  chat: ChatMessage;
  notification: NotificationMessage;
  ack: AckMessage;
  subscribed: SubscribedMessage;
  unsubscribed: UnsubscribedMessage;
  error: ErrorMessage;
  auth_ok: AuthOkMessage;
  /** Every server message (after duplicate replays were dropped). */
  message: ServerMessage;
  /** Connection state changes. */
  state: ConnectionState;
  connecting: ConnectionState;
  disconnected: ConnectionState;
  /** The presence count or map changed. */
  presence_change: PresenceSnapshot;
  /** `connected` said resync: events past the retention window were not replayed; reload over REST. */
  resync: ConnectedMessage;
  /** A token was refused (4001, or INVALID_TOKEN in band): the client stopped. */
  auth_failed: { code: number; reason: string };
  /** A new token is in use (after getToken). */
  token: string;
}
