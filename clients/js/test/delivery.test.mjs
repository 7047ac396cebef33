// Delivery across dropped sockets, against a real herald: a slow consumer
// closed 4010 mid-stream and a server killed mid-stream both end with every
// chat received exactly once, in order; the outgoing queue flushes once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { HeraldServer, sleep, waitFor } from './herald-server.mjs';
import { connected, makeClient } from './clients.mjs';

let server;
before(async () => {
  // A small outgoing queue so a stalled reader overflows it quickly; rate
  // limits high enough for the streams below.
  server = await new HeraldServer(['--max-queue-bytes', '65536', '--max-queue-messages', '64',
    '--rate-limit', '2000', '--rate-burst', '2000']).start();
});
after(async () => {
  assert.equal(await server.dispose(), 0, 'herald exits 0 on SIGTERM');
});

function texts(client, fromId) {
  return client.received.chat.filter((m) => m.data.from_user_id === fromId).map((m) => m.data.message);
}

test('a socket closed 4010 mid-stream loses and doubles nothing', async () => {
  const bob = makeClient(server, 202);
  await connected(bob);
  const alice = makeClient(server, 201);
  await connected(alice);
  const closes = [];
  bob.on('disconnected', (s) => closes.push(s.code));

  // Bob stops reading: the server's queue for him fills and it closes 4010.
  bob.sockets[0]._socket.pause();
  const body = 'x'.repeat(3000);
  const sent = [];
  const acks = [];
  for (let i = 0; i < 400; i++) {
    sent.push(`${i} ${body}`);
    acks.push(alice.sendChat(202, `${i} ${body}`));
  }
  await Promise.all(acks);
  await sleep(300);
  bob.sockets[0]._socket.resume();

  await waitFor(() => texts(bob, 201).length >= sent.length, 'all 400 chats at bob', 20000);
  await sleep(300); // anything doubled would arrive now
  assert.ok(closes.includes(4010), `the server dropped the slow socket (closes: ${closes})`);
  assert.ok(bob.sockets.length >= 2, 'bob reconnected');
  assert.deepEqual(texts(bob, 201), sent, 'every chat once, in order');
  const seqs = bob.received.chat.map((m) => m.seq);
  assert.equal(new Set(seqs).size, seqs.length, 'no seq delivered twice');
  alice.close();
  bob.close();
});

test('the queue keeps chats while disconnected and flushes them once after reconnecting', async () => {
  const bob = makeClient(server, 212);
  const alice = makeClient(server, 211);
  await Promise.all([connected(alice), connected(bob)]);
  await server.stop();
  await waitFor(() => !alice.isConnected, 'alice to notice the stop');
  const acks = [1, 2, 3, 4, 5].map((i) => alice.sendChat(212, `queued ${i}`));
  assert.equal(alice.queuedChats, 5);
  await sleep(300);
  await server.start();
  const results = await Promise.all(acks);
  assert.equal(new Set(results.map((a) => a.id)).size, 5, 'five acks, five message ids');
  assert.equal(alice.queuedChats, 0);
  const sentFrames = alice.sockets.flatMap((s) => s.sentFrames).filter((f) => f.type === 'message');
  assert.equal(sentFrames.length, 5, 'each queued chat went out exactly once');
  await waitFor(() => texts(bob, 211).length >= 5, 'the five chats at bob');
  await sleep(300);
  assert.deepEqual(texts(bob, 211), [1, 2, 3, 4, 5].map((i) => `queued ${i}`));
  alice.close();
  bob.close();
});

test('a server killed mid-stream: every acknowledged and queued chat arrives once', async () => {
  const bob = makeClient(server, 222);
  const alice = makeClient(server, 221);
  await Promise.all([connected(alice), connected(bob)]);
  const sent = [];
  const acks = [];
  const sender = (async () => {
    for (let i = 0; i < 150; i++) {
      sent.push(`m${i}`);
      acks.push(alice.sendChat(222, `m${i}`));
      await sleep(5);
    }
  })();
  await sleep(250);
  await server.stop('SIGKILL'); // no 1001, no flush: the sockets just die
  await sleep(200);
  await server.start();
  await sender;
  await Promise.all(acks);
  await waitFor(() => texts(bob, 221).length >= sent.length, 'all 150 chats at bob', 20000);
  await sleep(300);
  assert.deepEqual(texts(bob, 221), sent, 'every chat once, in order');
  alice.close();
  bob.close();
});
