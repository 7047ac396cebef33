// The demo app at `/` in headless Chromium, two users in two browser
// contexts (one desktop, one phone-sized) against a real herald: register,
// see each other online, follow, mention, like, comment and reply (each
// raising its notification and the badge), chat both ways with the typing
// indicator, presence shown on the other side, and one going offline.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HeraldServer, artifactsDir, launch, missingBrowser, repo, sleep, watchConsole } from './lib.mjs';

const skip = missingBrowser();
const webRoot = join(repo, 'web/dist');
let server;
let browser;
const shots = artifactsDir();

before(async () => {
  if (skip) return;
  assert.ok(existsSync(join(webRoot, 'index.html')), 'web/dist is built (make web)');
  server = await new HeraldServer(['--web-root', webRoot]).start();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  if (server) assert.equal(await server.dispose(), 0);
});

async function signUp(page, username) {
  await page.goto(server.url + '/');
  await page.getByTestId('username').fill(username);
  await page.getByTestId('password').fill('correct horse battery');
  await page.getByTestId('register').click();
  await page.locator('[data-testid=connection-state][data-status=connected]').waitFor();
}

test('two users: presence, follow, posts, notifications, chat with typing, offline', { skip: skip ?? false }, async (t) => {
  const errors = [];
  const pages = [];
  // On a failure, the state of both pages is the first thing to look at.
  t.after(async () => {
    if (unexpected(errors).length) console.log(`page errors:\n${unexpected(errors).join('\n')}`);
    for (const [name, page] of pages) {
      if (!page.isClosed()) await page.screenshot({ path: join(shots, `last-${name}.png`) }).catch(() => {});
    }
  });
  const desk = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const alice = await desk.newPage();
  const bob = await phone.newPage();
  pages.push(['alice', alice], ['bob', bob]);
  watchConsole(alice, 'alice', errors);
  watchConsole(bob, 'bob', errors);

  // Served by herald with the right headers.
  const index = await fetch(server.url + '/');
  assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(index.headers.get('cache-control'), 'no-cache');

  await signUp(alice, 'alice');
  await signUp(bob, 'bob');
  await alice.screenshot({ path: join(shots, '01-alice-signed-in.png') });

  // Each sees the other online (alice: desktop, all panels; bob: phone, People tab).
  const bobRow = alice.getByTestId('user-bob');
  const aliceRow = bob.getByTestId('user-alice');
  await alice.locator('[data-testid=user-bob][data-online=true]').waitFor();
  await bob.locator('[data-testid=user-alice][data-online=true]').waitFor();
  await bob.screenshot({ path: join(shots, '02-bob-people-phone.png') });

  // Follow: bob gets new_follower and the badge.
  await bobRow.getByTestId('follow').click();
  await bob.getByTestId('unread-badge').filter({ hasText: '1' }).waitFor();
  await bob.getByTestId('tab-notifications').click();
  await bob.locator('[data-testid=notification][data-type=new_follower]').waitFor();
  await bob.screenshot({ path: join(shots, '03-bob-new-follower.png') });

  // A post mentioning bob: mention. Bob opens it from the notification.
  await alice.getByTestId('post-input').fill('Shipping the SDK today, @bob have a look');
  await alice.getByTestId('post-submit').click();
  await alice.getByTestId('post').waitFor();
  const mention = bob.locator('[data-testid=notification][data-type=mention]');
  await mention.waitFor();
  await mention.click();
  await bob.getByTestId('post').waitFor();

  // Like and comment: alice gets new_like and new_comment, badge 2.
  await bob.getByTestId('like').click();
  await bob.getByTestId('comment-input').fill('Looks great!');
  await bob.getByTestId('comment-submit').click();
  await alice.locator('[data-testid=notification][data-type=new_like]').waitFor();
  await alice.locator('[data-testid=notification][data-type=new_comment]').waitFor();
  await alice.getByTestId('unread-count').filter({ hasText: '2 unread' }).waitFor();

  // Alice replies to the comment: comment_reply to bob.
  await alice.getByTestId('post').getByTestId('comment').filter({ hasText: 'Looks great!' }).waitFor();
  await alice.getByTestId('post').getByTestId('reply').first().click();
  await alice.getByTestId('comment-input').fill('Thanks!');
  await alice.getByTestId('comment-submit').click();
  await bob.getByTestId('tab-notifications').click();
  await bob.locator('[data-testid=notification][data-type=comment_reply]').waitFor();

  // Mark as read clears the badge.
  await alice.getByTestId('mark-all-read').click();
  await alice.getByTestId('unread-count').filter({ hasText: '0 unread' }).waitFor();
  assert.equal(await alice.getByTestId('unread-badge').count(), 0);
  await alice.screenshot({ path: join(shots, '04-alice-notifications-read.png') });

  // Chat both ways with the typing indicator.
  await bobRow.getByTestId('chat').click();
  await bob.getByTestId('tab-people').click();
  await aliceRow.getByTestId('chat').click();
  await alice.getByTestId('chat-input').pressSequentially('Hi Bob', { delay: 30 });
  await bob.getByTestId('typing-indicator').filter({ hasText: 'alice is typing' }).waitFor();
  await alice.getByTestId('chat-send').click();
  await bob.getByTestId('chat-message').filter({ hasText: 'Hi Bob' }).waitFor();
  await bob.waitForFunction(() => document.querySelector('[data-testid=typing-indicator]')?.textContent === '');
  await bob.getByTestId('chat-input').pressSequentially('Hey Alice, the demo works on my phone', { delay: 20 });
  await alice.getByTestId('typing-indicator').filter({ hasText: 'bob is typing' }).waitFor();
  await bob.getByTestId('chat-send').click();
  await alice.getByTestId('chat-message').filter({ hasText: 'the demo works on my phone' }).waitFor();
  await alice.getByTestId('chat-input').pressSequentially('Great, shipping it', { delay: 20 });
  await bob.getByTestId('typing-indicator').filter({ hasText: 'alice is typing' }).waitFor();
  const aliceShot = join(shots, '05-alice-chat.png');
  const bobShot = join(shots, '05-bob-chat-phone.png');
  await alice.screenshot({ path: aliceShot });
  await bob.screenshot({ path: bobShot });
  await alice.getByTestId('chat-send').click();
  await bob.getByTestId('chat-message').filter({ hasText: 'Great, shipping it' }).waitFor();
  assert.equal(await alice.getByTestId('chat-message').count(), 3);
  assert.equal(await bob.getByTestId('chat-message').count(), 3);

  // Presence: bob goes away, then busy; alice sees it.
  await bob.getByTestId('presence-select').selectOption('away');
  await alice.locator('[data-testid=user-bob][data-status=away]').waitFor();
  await sleep(1100); // the server allows one presence change per second per user
  await bob.getByTestId('presence-select').selectOption('busy');
  await alice.locator('[data-testid=user-bob][data-status=busy]').waitFor();
  await alice.screenshot({ path: join(shots, '06-alice-sees-bob-busy.png') });

  // Bob goes offline: alice sees it, with last seen.
  await phone.close();
  await alice.locator('[data-testid=user-bob][data-online=false]').waitFor();
  assert.match(await bobRow.getByTestId('user-status').innerText(), /offline, last seen/);
  await alice.screenshot({ path: join(shots, '07-alice-sees-bob-offline.png') });

  // The connection state: the server goes away, the countdown shows, the
  // client comes back by itself and the conversation is still there.
  await server.stop();
  await alice.getByTestId('connection-state').filter({ hasText: /retrying in \d+ s/ }).waitFor();
  await alice.screenshot({ path: join(shots, '08-alice-reconnect-countdown.png') });
  await server.start();
  await alice.locator('[data-testid=connection-state][data-status=connected]').waitFor({ timeout: 45000 });
  assert.equal(await alice.getByTestId('chat-message').count(), 3, 'the conversation survives the reconnect');

  // The README's picture: both sides of the chat, composed by the browser itself.
  await composeDemoPicture(aliceShot, bobShot, join(shots, 'demo.png'));
  await desk.close();
  assert.deepEqual(unexpected(errors), [], 'no errors in the pages');
});

// Errors the pages may log: the browser's own lines while the server is down.
function unexpected(errors) {
  return errors.filter((e) => !/favicon|ERR_CONNECTION_REFUSED|WebSocket connection to/.test(e));
}

async function composeDemoPicture(left, right, out) {
  const { readFileSync } = await import('node:fs');
  const img = (p) => `data:image/png;base64,${readFileSync(p).toString('base64')}`;
  const ctx = await browser.newContext({ viewport: { width: 1730, height: 884 } });
  const page = await ctx.newPage();
  await page.setContent(`<body style="margin:0;background:#e5e7eb;display:flex;gap:20px;padding:20px;align-items:flex-start">
    <img src="${img(left)}" style="width:1280px;border-radius:8px;box-shadow:0 4px 20px #0003">
    <img src="${img(right)}" style="width:390px;border-radius:18px;box-shadow:0 4px 20px #0003"></body>`);
  await page.screenshot({ path: out });
  await ctx.close();
  writeFileSync(out + '.txt', 'alice (desktop) and bob (phone) chatting in the Herald demo\n');
}
