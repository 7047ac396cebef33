// Herald's protocol subset on Node.js + ws, written the way a Node developer
// would: one process, a Map of users to their sockets, JSON.stringify once per
// event and ws.send() to each recipient. Chat is kept in memory only (Herald
// stores every message in SQLite before acking). Benchmark peer: see
// bench/peers/README.md for the subset it serves.
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');
const jwt = require('jsonwebtoken');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const PORT = Number(arg('--port', '8000'));
const SECRET = arg('--secret', process.env.HERALD_JWT_SECRET || 'secret');
const AUDIENCE = arg('--audience', 'all'); // all | followers (subscribers of presence:<id>)

const now = () => new Date().toISOString();
const users = new Map(); // user id -> { username, sockets: Set, status }
const contexts = new Map(); // context -> Set<ws>
let nextMessageId = 1;
let nextConnectionId = 1;

function verify(token) {
  try {
    const claims = jwt.verify(token || '', SECRET, { algorithms: ['HS256'] });
    const id = Number(claims.sub);
    if (!Number.isSafeInteger(id) || id <= 0) return { code: 4001 };
    if (claims.type !== undefined && claims.type !== 'access') return { code: 4001 };
    return { id, username: claims.username || `user${id}` };
  } catch (e) {
    return { code: e.name === 'TokenExpiredError' ? 4003 : 4001 };
  }
}

function onlineCount() {
  let n = 0;
  for (const u of users.values()) if (u.sockets.size > 0 && u.status !== 'offline') n++;
  return n;
}

// The presence audience of `userId`: every other online user, or the
// subscribers of presence:<id>. Never the subject's own sockets.
function presenceAudience(userId, fn) {
  if (AUDIENCE === 'all') {
    for (const [id, u] of users) if (id !== userId) for (const s of u.sockets) fn(s);
  } else {
    const subs = contexts.get(`presence:${userId}`);
    if (subs) for (const s of subs) if (s.userId !== userId) fn(s);
  }
}

function broadcastPresence(userId, event) {
  const text = JSON.stringify(event);
  presenceAudience(userId, (s) => s.send(text));
}

function sendError(ws, code, message, ref) {
  const e = { type: 'error', error_code: code, message, timestamp: now() };
  if (ref !== undefined) e.ref = ref;
  ws.send(JSON.stringify(e));
}

function handle(ws, text) {
  let msg;
  try {
    msg = JSON.parse(text);
  } catch {
    return sendError(ws, 'INVALID_JSON', 'invalid JSON');
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return sendError(ws, 'INVALID_JSON', 'not an object');
  const user = users.get(ws.userId);
  switch (msg.type) {
    case 'ping':
      return ws.send(JSON.stringify({ type: 'pong', timestamp: now() }));
    case 'subscribe':
    case 'unsubscribe': {
      if (typeof msg.context !== 'string' || !msg.context.length) return sendError(ws, 'INVALID_MESSAGE', 'context required');
      if (msg.type === 'subscribe') {
        if (!contexts.has(msg.context)) contexts.set(msg.context, new Set());
        contexts.get(msg.context).add(ws);
        ws.contexts.add(msg.context);
      } else {
        contexts.get(msg.context)?.delete(ws);
        ws.contexts.delete(msg.context);
      }
      return ws.send(JSON.stringify({ type: msg.type === 'subscribe' ? 'subscribed' : 'unsubscribed', context: msg.context }));
    }
    case 'presence': {
      if (!['online', 'away', 'busy', 'offline'].includes(msg.status)) return sendError(ws, 'INVALID_MESSAGE', 'bad status');
      user.status = msg.status;
      const data = { user_id: ws.userId, status: msg.status };
      if (msg.data && typeof msg.data === 'object') data.data = msg.data;
      return broadcastPresence(ws.userId, { type: 'presence', data });
    }
    case 'message': {
      const to = msg.to_user_id;
      const ref = msg.client_msg_id;
      if (!Number.isSafeInteger(to) || to <= 0 || to === ws.userId) return sendError(ws, 'INVALID_MESSAGE', 'to_user_id must be a positive integer', ref);
      if (typeof msg.message !== 'string' || !msg.message.length || msg.message.length > 4096) return sendError(ws, 'INVALID_MESSAGE', 'message must be 1..4096 characters', ref);
      const target = users.get(to);
      if (!target) return sendError(ws, 'USER_NOT_FOUND', 'no such user', ref);
      const ts = now();
      const id = nextMessageId++;
      ws.send(JSON.stringify({ type: 'ack', data: { client_msg_id: ref ?? null, id, timestamp: ts } }));
      const chat = JSON.stringify({
        type: 'chat',
        data: { id, from_user_id: ws.userId, from_username: user.username, to_user_id: to, message: msg.message, timestamp: ts },
        timestamp: ts,
      });
      for (const s of target.sockets) s.send(chat);
      for (const s of user.sockets) if (s !== ws) s.send(chat);
      return;
    }
    default:
      return sendError(ws, 'UNKNOWN_MESSAGE_TYPE', `unknown type ${msg.type}`);
  }
}

function bearerUser(req) {
  const h = req.headers.authorization || '';
  if (!h.startsWith('Bearer ')) return null;
  const v = verify(h.slice(7));
  return v.code ? null : v;
}

function json(res, status, body) {
  const text = JSON.stringify(body);
  const headers = { 'content-type': 'application/json' };
  if (status === 401) headers['www-authenticate'] = 'Bearer';
  res.writeHead(status, headers).end(text);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/health') return json(res, 200, { status: 'ok' });
  if (url.pathname !== '/api/v1/online' && url.pathname !== '/api/v1/online/count') return json(res, 404, { detail: 'Not Found' });
  if (!bearerUser(req)) return json(res, 401, { detail: 'Not authenticated' });
  if (url.pathname === '/api/v1/online/count') return json(res, 200, { online_count: onlineCount() });
  const limit = Number(url.searchParams.get('limit') || 100);
  const offset = Number(url.searchParams.get('offset') || 0);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return json(res, 422, { detail: 'limit must be 1..1000' });
  const online = [...users].filter(([, u]) => u.sockets.size && u.status !== 'offline').sort((a, b) => a[0] - b[0]);
  json(res, 200, {
    online_count: online.length,
    users: online.slice(offset, offset + limit).map(([id, u]) => ({ user_id: id, online: true, last_seen: now(), connections_count: u.sockets.size, status: u.status })),
  });
});

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 });

server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname !== '/api/v1/ws') return socket.destroy();
  wss.handleUpgrade(req, socket, head, (ws) => {
    const who = verify(url.searchParams.get('token'));
    if (who.code) return ws.close(who.code, who.code === 4003 ? 'token expired' : 'invalid token');
    open(ws, who);
  });
});

function open(ws, who) {
  ws.userId = who.id;
  ws.contexts = new Set();
  let user = users.get(who.id);
  if (!user) users.set(who.id, (user = { username: who.username, sockets: new Set(), status: 'online' }));
  const first = user.sockets.size === 0;
  user.sockets.add(ws);
  if (first) {
    user.status = 'online';
    broadcastPresence(who.id, { type: 'user_status', data: { user_id: who.id, status: 'online', timestamp: now() } });
  }
  ws.send(JSON.stringify({
    type: 'connected',
    data: { message: `Welcome, ${who.username}!`, user_id: who.id, online_count: onlineCount(), connection_id: `c${nextConnectionId++}`, server_time: now(), heartbeat_interval: 30 },
  }));
  ws.on('message', (data, isBinary) => {
    if (isBinary) return ws.close(1003, 'binary frames are not supported');
    handle(ws, data.toString());
  });
  ws.on('close', () => {
    for (const c of ws.contexts) contexts.get(c)?.delete(ws);
    user.sockets.delete(ws);
    if (user.sockets.size === 0) {
      const wasVisible = user.status !== 'offline';
      user.status = 'offline';
      if (wasVisible) broadcastPresence(who.id, { type: 'user_status', data: { user_id: who.id, status: 'offline', timestamp: now() } });
    }
  });
}

server.listen(PORT, '127.0.0.1', () => console.log(`node-ws peer on 127.0.0.1:${PORT} audience=${AUDIENCE}`));
