// Herald's protocol subset on uWebSockets.js (npm package `uwebsockets`, the
// published build of uNetworking's uWebSockets.js), written the uWS way: the
// token is checked in the upgrade handler, presence fan-out goes through
// uWS's own pub/sub topics (`presence:<id>` per subject; one `all` topic for
// the audience `all`), so fan-out is uWS's C++ loop, not a JS loop. Chat is
// kept in memory only (Herald stores every message before acking).
// Caveat of uWS pub/sub: ws.publish() skips the publishing socket but not the
// same user's other sockets (the benchmark opens one socket per user).
'use strict';
const uWS = require('uwebsockets');
const jwt = require('jsonwebtoken');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const PORT = Number(arg('--port', '8000'));
const SECRET = arg('--secret', process.env.HERALD_JWT_SECRET || 'secret');
const AUDIENCE = arg('--audience', 'all');
const decoder = new TextDecoder();

const now = () => new Date().toISOString();
const users = new Map(); // user id -> { username, sockets: Set, status }
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

const topicOf = (userId) => (AUDIENCE === 'all' ? 'all' : `presence:${userId}`);
let app;

// With `all`, ws.publish from the subject's live socket skips that socket
// (the subject is itself subscribed to `all`). uWS delivers ws.publish only
// from a socket that has subscriptions, and the subject never subscribes to
// its own presence:<id>, so `followers` (and a closed socket) use app.publish.
function publishPresence(ws, userId, event) {
  const text = JSON.stringify(event);
  if (ws && AUDIENCE === 'all') ws.publish(topicOf(userId), text, false);
  else app.publish(topicOf(userId), text, false);
}

function sendError(ws, code, message, ref) {
  const e = { type: 'error', error_code: code, message, timestamp: now() };
  if (ref !== undefined) e.ref = ref;
  ws.send(JSON.stringify(e), false);
}

function handle(ws, text) {
  let msg;
  try {
    msg = JSON.parse(text);
  } catch {
    return sendError(ws, 'INVALID_JSON', 'invalid JSON');
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return sendError(ws, 'INVALID_JSON', 'not an object');
  const state = ws.getUserData();
  const user = users.get(state.id);
  switch (msg.type) {
    case 'ping':
      return ws.send(JSON.stringify({ type: 'pong', timestamp: now() }), false);
    case 'subscribe':
    case 'unsubscribe': {
      if (typeof msg.context !== 'string' || !msg.context.length) return sendError(ws, 'INVALID_MESSAGE', 'context required');
      if (msg.type === 'subscribe') ws.subscribe(msg.context);
      else ws.unsubscribe(msg.context);
      return ws.send(JSON.stringify({ type: msg.type === 'subscribe' ? 'subscribed' : 'unsubscribed', context: msg.context }), false);
    }
    case 'presence': {
      if (!['online', 'away', 'busy', 'offline'].includes(msg.status)) return sendError(ws, 'INVALID_MESSAGE', 'bad status');
      user.status = msg.status;
      const data = { user_id: state.id, status: msg.status };
      if (msg.data && typeof msg.data === 'object') data.data = msg.data;
      return publishPresence(ws, state.id, { type: 'presence', data });
    }
    case 'message': {
      const to = msg.to_user_id;
      const ref = msg.client_msg_id;
      if (!Number.isSafeInteger(to) || to <= 0 || to === state.id) return sendError(ws, 'INVALID_MESSAGE', 'to_user_id must be a positive integer', ref);
      if (typeof msg.message !== 'string' || !msg.message.length || msg.message.length > 4096) return sendError(ws, 'INVALID_MESSAGE', 'message must be 1..4096 characters', ref);
      const target = users.get(to);
      if (!target) return sendError(ws, 'USER_NOT_FOUND', 'no such user', ref);
      const ts = now();
      const id = nextMessageId++;
      ws.send(JSON.stringify({ type: 'ack', data: { client_msg_id: ref ?? null, id, timestamp: ts } }), false);
      const chat = JSON.stringify({
        type: 'chat',
        data: { id, from_user_id: state.id, from_username: user.username, to_user_id: to, message: msg.message, timestamp: ts },
        timestamp: ts,
      });
      for (const s of target.sockets) s.send(chat, false);
      for (const s of user.sockets) if (s !== ws) s.send(chat, false);
      return;
    }
    default:
      return sendError(ws, 'UNKNOWN_MESSAGE_TYPE', `unknown type ${msg.type}`);
  }
}

function rest(res, req, handler) {
  res.onAborted(() => { res.aborted = true; });
  const h = req.getHeader('authorization');
  const who = h.startsWith('Bearer ') ? verify(h.slice(7)) : { code: 401 };
  const reply = (status, body) => {
    if (res.aborted) return;
    res.cork(() => {
      res.writeStatus(status).writeHeader('content-type', 'application/json');
      if (status.startsWith('401')) res.writeHeader('www-authenticate', 'Bearer');
      res.end(JSON.stringify(body));
    });
  };
  if (who.code) return reply('401 Unauthorized', { detail: 'Not authenticated' });
  handler(reply, req);
}

app = uWS.App()
  .ws('/api/v1/ws', {
    compression: uWS.DISABLED,
    maxPayloadLength: 64 * 1024,
    maxBackpressure: 1024 * 1024,
    idleTimeout: 120,
    upgrade: (res, req, context) => {
      const who = verify(new URLSearchParams(req.getQuery() || '').get('token'));
      res.upgrade(who, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'), context);
    },
    open: (ws) => {
      const who = ws.getUserData();
      if (who.code) return ws.end(who.code, who.code === 4003 ? 'token expired' : 'invalid token');
      let user = users.get(who.id);
      if (!user) users.set(who.id, (user = { username: who.username, sockets: new Set(), status: 'online' }));
      const first = user.sockets.size === 0;
      user.sockets.add(ws);
      if (AUDIENCE === 'all') ws.subscribe('all');
      if (first) {
        user.status = 'online';
        publishPresence(ws, who.id, { type: 'user_status', data: { user_id: who.id, status: 'online', timestamp: now() } });
      }
      ws.send(JSON.stringify({
        type: 'connected',
        data: { message: `Welcome, ${who.username}!`, user_id: who.id, online_count: onlineCount(), connection_id: `c${nextConnectionId++}`, server_time: now(), heartbeat_interval: 30 },
      }), false);
    },
    message: (ws, message, isBinary) => {
      if (isBinary) return ws.end(1003, 'binary frames are not supported');
      handle(ws, decoder.decode(message));
    },
    close: (ws) => {
      const who = ws.getUserData();
      if (who.code) return;
      const user = users.get(who.id);
      user.sockets.delete(ws);
      if (user.sockets.size === 0) {
        const wasVisible = user.status !== 'offline';
        user.status = 'offline';
        if (wasVisible) publishPresence(null, who.id, { type: 'user_status', data: { user_id: who.id, status: 'offline', timestamp: now() } });
      }
    },
  })
  .get('/health', (res) => res.writeHeader('content-type', 'application/json').end('{"status":"ok"}'))
  .get('/api/v1/online/count', (res, req) => rest(res, req, (reply) => reply('200 OK', { online_count: onlineCount() })))
  .get('/api/v1/online', (res, req) => rest(res, req, (reply, r) => {
    const q = new URLSearchParams(r.getQuery() || '');
    const limit = Number(q.get('limit') || 100);
    const offset = Number(q.get('offset') || 0);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return reply('422 Unprocessable Entity', { detail: 'limit must be 1..1000' });
    const online = [...users].filter(([, u]) => u.sockets.size && u.status !== 'offline').sort((a, b) => a[0] - b[0]);
    reply('200 OK', {
      online_count: online.length,
      users: online.slice(offset, offset + limit).map(([id, u]) => ({ user_id: id, online: true, last_seen: now(), connections_count: u.sockets.size, status: u.status })),
    });
  }))
  .any('/*', (res) => res.writeStatus('404 Not Found').end('{"detail":"Not Found"}'))
  .listen('127.0.0.1', PORT, (token) => {
    if (!token) {
      console.error(`uws peer: cannot listen on ${PORT}`);
      process.exit(1);
    }
    console.log(`uws peer on 127.0.0.1:${PORT} audience=${AUDIENCE}`);
  });
