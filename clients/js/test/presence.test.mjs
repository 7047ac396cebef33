// Presence kept exact by the SDK, against a real herald: after users come
// and go (and the observer itself is dropped and reconnects in the middle),
// the observer's count and online map equal the server's /online.
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

function onlineIds(snapshot) {
  return [...snapshot.users.values()].filter((u) => u.online).map((u) => u.user_id).sort((a, b) => a - b);
}

test('presence count and map are exact after churn', async () => {
  const observer = makeClient(server, 300);
  await connected(observer);
  const live = new Map();
  let seed = 7;
  const rand = (n) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  for (let round = 0; round < 60; round++) {
    const id = 301 + rand(15);
    if (live.has(id)) {
      live.get(id).close();
      live.delete(id);
    } else {
      const c = makeClient(server, id, { presenceSnapshot: false });
      live.set(id, c);
    }
    if (round === 30) observer.sockets.at(-1).terminate(); // the observer misses some transitions
    await sleep(rand(40));
  }
  await Promise.all([...live.values()].map((c) => connected(c)));
  await waitFor(() => observer.isConnected, 'the observer to reconnect');
  await sleep(1000); // quiet: every transition delivered, the /online re-read done

  const token = server.token(300);
  const count = (await server.get('/online/count', token)).online_count;
  const online = (await server.get('/online?limit=1000', token)).users.map((u) => u.user_id).sort((a, b) => a - b);
  assert.equal(count, live.size + 1, 'the server agrees with the test about who is online');
  assert.equal(observer.onlineCount, count, 'SDK count equals /online/count');
  assert.deepEqual(onlineIds(observer.presence), online, 'SDK online map equals /online');
  assert.ok(observer.sockets.length >= 2, 'the observer did reconnect in the middle');

  // Presence status (away) reaches the map as well.
  const [someone] = live.values();
  someone.setPresence('away');
  await waitFor(() => observer.presence.users.get(someone.userId)?.status === 'away', 'away in the map');
  for (const c of live.values()) c.close();
  await waitFor(() => observer.onlineCount === 1, 'everyone else offline');
  assert.deepEqual(onlineIds(observer.presence), [300]);
  assert.ok(observer.presence.users.get(someone.userId).last_seen, 'last_seen kept for offline users');
  observer.close();
});
