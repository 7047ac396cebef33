// The wire protocol of PROTOCOL.md sections 3 and 4, as TypeScript types.
// One interface per server message, so a handler gets the exact shape of
// the event it subscribed to. Fields marked "extension" in PROTOCOL.md are
// optional here when an older server (or the seed's backend) may omit them.

export type UserId = number;
export type PresenceStatus = 'online' | 'away' | 'busy' | 'offline';

export interface ConnectedMessage {
  type: 'connected';
  data: {
    message: string;
    user_id: UserId;
    online_count: number;
    connection_id?: string;
    server_time?: string;
    heartbeat_interval?: number;
    unread_notifications?: number;
    last_seq?: number;
    /** Events past the retention window are missing: reload state over REST. */
    resync?: boolean;
  };
}

export interface PongMessage {
  type: 'pong';
  timestamp: string;
}

export interface UserStatusMessage {
  type: 'user_status';
  data: { user_id: UserId; status: 'online' | 'offline'; timestamp: string };
}

export interface PresenceMessage {
  type: 'presence';
  data: { user_id: UserId; status: PresenceStatus; data?: Record<string, unknown> };
}

export interface TypingMessage {
  type: 'typing';
  data: { user_id: UserId; is_typing: boolean; context: string };
}

export interface ChatData {
  id?: number;
  from_user_id: UserId;
  from_username: string;
  to_user_id?: UserId;
  message: string;
  timestamp: string;
}

export interface ChatMessage {
  type: 'chat';
  seq?: number;
  data: ChatData;
  timestamp: string;
}

export type NotificationType =
  | 'new_follower'
  | 'new_like'
  | 'new_comment'
  | 'comment_reply'
  | 'mention'
  | (string & {});

export interface NotificationData {
  id: number;
  type: NotificationType;
  title: string;
  message: string;
  data: Record<string, unknown>;
  link?: string | null;
  read?: boolean;
  created_at: string;
}

export interface NotificationMessage {
  type: 'notification';
  seq?: number;
  notification_type: NotificationType;
  data: NotificationData;
  timestamp: string;
}

export interface AckData {
  client_msg_id: string | null;
  id: number;
  seq?: number;
  timestamp: string;
}

export interface AckMessage {
  type: 'ack';
  data: AckData;
}

export interface SubscribedMessage {
  type: 'subscribed';
  context: string;
}

export interface UnsubscribedMessage {
  type: 'unsubscribed';
  context: string;
}

export type ErrorCode =
  | 'INVALID_JSON'
  | 'UNKNOWN_MESSAGE_TYPE'
  | 'MESSAGE_PROCESSING_ERROR'
  | 'INVALID_MESSAGE'
  | 'USER_NOT_FOUND'
  | 'RATE_LIMITED'
  | 'INVALID_TOKEN'
  | 'FORBIDDEN'
  | (string & {});

export interface ErrorMessage {
  type: 'error';
  error_code: ErrorCode;
  message: string;
  timestamp: string;
  /** The client_msg_id of the message that caused the error, when it had one. */
  ref?: string | null;
}

export interface AuthOkMessage {
  type: 'auth_ok';
  data: { expires_at: string | number };
}

export type ServerMessage =
  | ConnectedMessage
  | PongMessage
  | UserStatusMessage
  | PresenceMessage
  | TypingMessage
  | ChatMessage
  | NotificationMessage
  | AckMessage
  | SubscribedMessage
  | UnsubscribedMessage
  | ErrorMessage
  | AuthOkMessage;

export type ServerMessageType = ServerMessage['type'];

/** Close codes of PROTOCOL.md section 2. */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  UNSUPPORTED_DATA: 1003,
  INVALID_PAYLOAD: 1007,
  POLICY: 1008,
  TOO_BIG: 1009,
  INVALID_TOKEN: 4001,
  TOKEN_EXPIRED: 4003,
  HEARTBEAT_TIMEOUT: 4008,
  TOO_MANY_CONNECTIONS: 4009,
  SLOW_CONSUMER: 4010,
} as const;

/** Client -> server frames (section 4). */
export type ClientMessage =
  | { type: 'ping'; timestamp: string }
  | { type: 'typing'; data: { is_typing: boolean; context: string; to_user_id?: UserId } }
  | { type: 'subscribe' | 'unsubscribe'; context: string }
  | { type: 'presence'; status: PresenceStatus; data?: Record<string, unknown> }
  | { type: 'message'; to_user_id: UserId; message: string; timestamp: string; client_msg_id?: string }
  | { type: 'auth'; token: string };
