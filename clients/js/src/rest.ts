// REST helpers for PROTOCOL.md 6.1-6.5 over fetch (browsers, Node 20).
// Thin on purpose: each method is one request, typed, and a non-2xx answer
// throws HeraldApiError with the server's FastAPI-style `detail`.
import type { NotificationData, PresenceStatus, UserId } from './protocol.js';

export class HeraldApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: unknown,
  ) {
    super(typeof detail === 'string' ? detail : `HTTP ${status}: ${JSON.stringify(detail)}`);
    this.name = 'HeraldApiError';
  }
}

export interface Page<T> {
  items: T[];
  next_before: number | null;
}
export interface PageQuery {
  limit?: number;
  before?: number;
}
export interface OnlineUser {
  user_id: UserId;
  online: boolean;
  last_seen: string | null;
  connections_count: number;
  status?: PresenceStatus;
}
export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  expires_in: number;
}
export interface User {
  id: UserId;
  username: string;
  created_at: string;
  followers_count?: number;
  following_count?: number;
}
export interface FollowEntry {
  id: UserId;
  username: string;
  followed_at: string;
}
export interface Post {
  id: number;
  author_id: UserId;
  content: string;
  likes_count: number;
  comments_count: number;
  created_at: string;
}
export interface Comment {
  id: number;
  post_id: number;
  author_id: UserId;
  content: string;
  parent_id?: number | null;
  created_at: string;
  [extra: string]: unknown;
}
export interface HistoryMessage {
  id: number;
  from_user_id: UserId;
  from_username?: string;
  to_user_id: UserId;
  message: string;
  timestamp: string;
  seq?: number;
  [extra: string]: unknown;
}
export interface Conversation {
  user_id: UserId;
  username?: string;
  unread_count: number;
  last_message?: HistoryMessage;
  [extra: string]: unknown;
}
export interface PublishNotification {
  user_ids: UserId[];
  type: string;
  title: string;
  message: string;
  data?: Record<string, unknown>;
  link?: string;
}

export interface RestOptions {
  /** Server origin, e.g. "http://127.0.0.1:8000"; ws:// and wss:// are accepted too. */
  url: string;
  /** The access token to send; called per request so a refreshed token is used at once. */
  token?: () => string | null | undefined | Promise<string | null | undefined>;
  fetch?: typeof fetch;
}

/** http(s) origin of a server URL given as http(s):// or ws(s)://, without trailing slash. */
export function httpBase(url: string): string {
  return url.replace(/^ws(s?):\/\//, 'http$1://').replace(/\/+$/, '');
}

function query(params: object): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

export class HeraldRest {
  readonly base: string;
  private readonly tokenFn?: RestOptions['token'];
  private readonly fetchFn: typeof fetch;

  constructor(options: RestOptions) {
    this.base = `${httpBase(options.url)}/api/v1`;
    this.tokenFn = options.token;
    this.fetchFn = options.fetch ?? ((...args) => globalThis.fetch(...args));
  }

  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const h: Record<string, string> = { ...headers };
    const token = this.tokenFn ? await this.tokenFn() : null;
    if (token && !h.Authorization) h.Authorization = `Bearer ${token}`;
    if (body !== undefined) h['Content-Type'] = 'application/json';
    const res = await this.fetchFn(this.base + path, {
      method,
      headers: h,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let parsed: any = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    if (!res.ok) throw new HeraldApiError(res.status, parsed?.detail ?? parsed ?? res.statusText);
    return parsed as T;
  }

  // 6.1 online status
  online(params: { limit?: number; offset?: number } = {}) {
    return this.request<{ online_count: number; users: OnlineUser[] }>('GET', `/online${query(params)}`);
  }
  onlineCount() {
    return this.request<{ online_count: number }>('GET', '/online/count');
  }
  status(userId: UserId) {
    return this.request<OnlineUser>('GET', `/status/${userId}`);
  }

  // 6.2 accounts
  register(username: string, password: string, email?: string) {
    return this.request<User>('POST', '/auth/register', { username, password, email });
  }
  login(username: string, password: string) {
    return this.request<TokenPair>('POST', '/auth/login', { username, password });
  }
  refresh(refreshToken: string) {
    return this.request<TokenPair>('POST', '/auth/refresh', { refresh_token: refreshToken });
  }
  me() {
    return this.request<User>('GET', '/users/me');
  }
  user(id: UserId) {
    return this.request<User>('GET', `/users/${id}`);
  }

  // 6.3 social actions
  follow(id: UserId) {
    return this.request<unknown>('POST', `/users/${id}/follow`);
  }
  unfollow(id: UserId) {
    return this.request<unknown>('DELETE', `/users/${id}/follow`);
  }
  followers(id: UserId, page: PageQuery = {}) {
    return this.request<Page<FollowEntry>>('GET', `/users/${id}/followers${query(page)}`);
  }
  following(id: UserId, page: PageQuery = {}) {
    return this.request<Page<FollowEntry>>('GET', `/users/${id}/following${query(page)}`);
  }
  createPost(content: string) {
    return this.request<Post>('POST', '/posts', { content });
  }
  post(id: number) {
    return this.request<Post>('GET', `/posts/${id}`);
  }
  like(postId: number) {
    return this.request<unknown>('POST', `/posts/${postId}/like`);
  }
  unlike(postId: number) {
    return this.request<unknown>('DELETE', `/posts/${postId}/like`);
  }
  comment(postId: number, content: string, parentId?: number) {
    return this.request<Comment>('POST', `/posts/${postId}/comments`, { content, parent_id: parentId });
  }
  comments(postId: number, page: PageQuery = {}) {
    return this.request<Page<Comment>>('GET', `/posts/${postId}/comments${query(page)}`);
  }

  // 6.4 notifications
  notifications(params: PageQuery & { unread_only?: boolean } = {}) {
    return this.request<Page<NotificationData>>('GET', `/notifications${query(params)}`);
  }
  unreadCount() {
    return this.request<{ unread_count: number }>('GET', '/notifications/unread-count');
  }
  markRead(id: number) {
    return this.request<void>('POST', `/notifications/${id}/read`);
  }
  markAllRead() {
    return this.request<void>('POST', '/notifications/read-all');
  }
  /** Service publish: with a service token (role: service) or an API key. */
  publishNotification(body: PublishNotification, apiKey?: string) {
    return this.request<{ ids: number[] }>('POST', '/notifications', body, apiKey ? { 'X-API-Key': apiKey } : {});
  }

  // 6.5 chat history
  messages(userId: UserId, page: PageQuery = {}) {
    return this.request<Page<HistoryMessage>>('GET', `/messages/${userId}${query(page)}`);
  }
  conversations() {
    return this.request<Page<Conversation>>('GET', '/conversations');
  }
}
