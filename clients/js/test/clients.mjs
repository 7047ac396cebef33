// Test helper: SDK clients over the `ws` package (Node 20 has no global
// WebSocket), with every socket they open recorded so a test can count
// connection attempts, read what was sent, or stall a socket's reads.
import WS from 'ws';
import { HeraldClient } from '../dist/index.js';

export function trackedWebSocket() {
  const sockets = [];
  class TrackedWebSocket extends WS {
    constructor(url) {
      super(url);
      this.sentFrames = [];
      sockets.push(this);
    }
    send(data) {
      this.sentFrames.push(JSON.parse(data));
      super.send(data);
    }
  }
  return { TrackedWebSocket, sockets };
}

/** A HeraldClient for user `id` of `server`; options override the test defaults. */
export function makeClient(server, id, options = {}) {
  const { TrackedWebSocket, sockets } = trackedWebSocket();
  const client = new HeraldClient({
    url: server.url,
    token: options.getToken ? undefined : server.token(id),
    WebSocket: TrackedWebSocket,
    backoff: { baseMs: 100, maxMs: 1000 },
    ...options,
  });
  client.sockets = sockets;
  client.received = { chat: [], notification: [] };
  client.on('chat', (m) => client.received.chat.push(m));
  client.on('notification', (m) => client.received.notification.push(m));
  return client;
}

export function connected(client, timeoutMs = 10000) {
  if (client.isConnected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('not connected in time')), timeoutMs);
    const off = client.on('connected', () => {
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}
