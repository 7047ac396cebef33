// Reconnect semantics against a real herald: a server restart, 4001 never
// retried, 4003 answered by getToken, in-band refresh before expiry.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { HeraldServer, sleep, waitFor } from './herald-server.mjs';
import { connected, makeClient } from './clients.mjs';

let server;
before(async () => {
  server = await new HeraldServer().start();
});
after(async () => {
  assert.equal(await server.dispose(), 0, 'herald exits 0 on SIGTERM');
});

test('reconnects after the server restarts, announcing each state with the retry time', async () => {
  const client = makeClient(server, 101);
  const states = [];
  client.on('state', (s) => states.push(s));
  await connected(client);
  await server.restart();
  await waitFor(() => client.sockets.length >= 2 && client.isConnected, 'the reconnect');
  const down = states.find((s) => s.status === 'disconnected');
  assert.ok(down, 'a disconnected state was emitted');
  assert.equal(down.willRetry, true);
  assert.equal(typeof down.retryAt, 'number');
  assert.ok(down.retryInMs >= 0 && down.retryInMs <= 1000, `retry delay within the backoff cap: ${down.retryInMs}`);
  assert.ok(states.some((s) => s.status === 'connecting'), 'a connecting state was emitted');
  assert.equal(states.at(-1).status, 'connected');
  // The new socket resumes: it asked the server for `since`.
  assert.match(client.sockets.at(-1).url, /[?&]since=\d+/);
  client.close();
});

test('4001: a refused token is never retried', async () => {
  const client = makeClient(server, 102, { token: 'not-a-jwt' });
  const failed = new Promise((r) => client.once('auth_failed', r));
  const info = await failed;
  assert.equal(info.code, 4001);
  assert.equal(client.state.status, 'disconnected');
  assert.equal(client.state.willRetry, false);
  await sleep(1500); // ten backoff windows of the test's 100 ms base
  assert.equal(client.sockets.length, 1, 'no second connection attempt');
  client.close();
});

test('4003: an expired token makes the client call getToken and reconnect', async () => {
  let calls = 0;
  const client = makeClient(server, 103, {
    inBandRefresh: false,
    getToken: () => server.token(103, { ttl: ++calls === 1 ? 2 : 3600 }),
  });
  const closes = [];
  client.on('disconnected', (s) => closes.push(s.code));
  await connected(client);
  await waitFor(() => closes.includes(4003), 'the 4003 close at exp', 8000);
  await waitFor(() => client.isConnected && client.sockets.length === 2, 'the reconnect with a new token');
  assert.equal(calls, 2, 'getToken called once per token');
  client.close();
});

test('in-band auth before expiry keeps the socket open', async () => {
  let calls = 0;
  const client = makeClient(server, 104, {
    getToken: () => server.token(104, { ttl: ++calls === 1 ? 3 : 3600 }),
  });
  const oks = [];
  client.on('auth_ok', (m) => oks.push(m));
  const closes = [];
  client.on('disconnected', (s) => closes.push(s.code));
  await connected(client);
  await sleep(4500); // past the first token's exp
  assert.equal(oks.length, 1, 'the server accepted the refreshed token');
  assert.deepEqual(closes, [], 'no close: the refresh came before exp');
  assert.equal(client.sockets.length, 1);
  assert.equal(calls, 2);
  assert.ok(client.sockets[0].sentFrames.some((f) => f.type === 'auth'));
  client.close();
});

test('sendChat settles with the ack, or rejects with the server error', async () => {
  const bob = makeClient(server, 106);
  const alice = makeClient(server, 105);
  await Promise.all([connected(alice), connected(bob)]);
  const ack = await alice.sendChat(106, 'hello');
  assert.equal(typeof ack.id, 'number');
  assert.equal(typeof ack.seq, 'number');
  await assert.rejects(alice.sendChat(987654, 'nobody'), { name: 'ChatError', code: 'USER_NOT_FOUND' });
  await assert.rejects(alice.sendChat(105, 'myself'), { name: 'ChatError', code: 'INVALID_MESSAGE' });
  alice.close();
  bob.close();
});
