// herald-client: the JavaScript SDK of Herald (PROTOCOL.md). No runtime
// dependencies; React and Vue bindings live at herald-client/react and
// herald-client/vue.
export { HeraldClient } from './client.js';
export type { ConnectionState, ConnectionStatus, HeraldClientOptions, HeraldEvents, WebSocketConstructor, WebSocketLike } from './client.js';
export { HeraldRest, HeraldApiError, httpBase } from './rest.js';
export type * from './rest.js';
export { ChatError, newClientMsgId } from './outbox.js';
export { Backoff } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { ResumeCursor } from './resume.js';
export { PresenceBook } from './presence.js';
export type { PresenceSnapshot, UserPresence } from './presence.js';
export { HeraldStore } from './store.js';
export type { HeraldSnapshot, HeraldStoreOptions, ConversationMessage, TypingState } from './store.js';
export { readClaims } from './token.js';
export type { TokenSource } from './token.js';
export * from './protocol.js';
