// The seed's own React hook and Vue composable (seed/, verbatim but for the
// URL), bundled and run in headless Chromium against a real herald. They
// must receive `connected`, `user_status`, `chat` and `notification` and
// show them as the seed does: the online count from `connected` moved by
// user_status, notifications listed with title and message.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HeraldServer, artifactsDir, here, launch, missingBrowser, requireSdk, sdkDir, watchConsole } from './lib.mjs';

const { HeraldClient } = await import(join(sdkDir, 'dist/index.js'));
const WS = requireSdk('ws');
const skip = missingBrowser();
const shots = artifactsDir();
let server;
let browser;
let root;

// Bundles the two seed pages into a web root for herald to serve.
async function buildPages(out) {
  const esbuild = requireSdk('esbuild');
  const seedReact = readFileSync(join(here, 'seed/seed-react.jsx'), 'utf8');
  const seedModule = {
    name: 'seed-react',
    setup(b) {
      b.onResolve({ filter: /^seed-react$/ }, () => ({ path: 'seed-react', namespace: 'seed' }));
      // The seed defines App without exporting it: export it, change nothing else.
      b.onLoad({ filter: /.*/, namespace: 'seed' }, () => ({
        contents: `${seedReact}\nexport { App, useWebSocket };\n`,
        loader: 'jsx',
        resolveDir: join(here, 'seed'),
      }));
    },
  };
  await esbuild.build({
    entryPoints: {
      react: join(here, 'seed/react-main.jsx'),
      vue: join(here, 'seed/vue-main.js'),
      'sdk-vue': join(here, 'bindings/vue-main.js'),
    },
    alias: { 'herald-client/vue': join(sdkDir, 'src/vue.ts') },
    bundle: true,
    format: 'esm',
    outdir: out,
    jsx: 'automatic',
    nodePaths: [join(sdkDir, 'node_modules')],
    plugins: [seedModule],
    define: {
      'process.env.NODE_ENV': '"production"',
      __VUE_OPTIONS_API__: 'true',
      __VUE_PROD_DEVTOOLS__: 'false',
      __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    },
    logLevel: 'warning',
  });
  const page = (js) => `<!doctype html><meta charset="utf-8"><div id="root"></div><script type="module" src="/${js}"></script>`;
  writeFileSync(join(out, 'index.html'), page('react.js'));
  writeFileSync(join(out, 'vue.html'), page('vue.js'));
  writeFileSync(join(out, 'sdk-vue.html'), page('sdk-vue.js'));
  writeFileSync(join(out, 'favicon.ico'), ''); // the browser asks; a 404 would show as a console error
}

// Before any page script: the token where the seed's App reads it, and a
// recorder of every frame the page's WebSocket receives (the seed code
// itself is not touched).
const initScript = (token) => `
  localStorage.setItem('access_token', ${JSON.stringify(token)});
  window.__frames = [];
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => { try { window.__frames.push(JSON.parse(e.data)); } catch {} });
    }
  };`;

async function account(name) {
  const post = (path, body) =>
    fetch(`${server.url}/api/v1${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const reg = await post('/auth/register', { username: name, password: 'correct horse battery' });
  assert.equal(reg.status, 201);
  const { id } = await reg.json();
  const login = await (await post('/auth/login', { username: name, password: 'correct horse battery' })).json();
  return { id, token: login.access_token };
}

before(async () => {
  if (skip) return;
  root = mkdtempSync(join(tmpdir(), 'herald-seed-web-'));
  mkdirSync(root, { recursive: true });
  await buildPages(root);
  server = await new HeraldServer(['--web-root', root]).start();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  if (server) assert.equal(await server.dispose(), 0);
  if (root) rmSync(root, { recursive: true, force: true });
});

const types = (page) => page.evaluate(() => window.__frames.map((f) => f.type));

async function otherUserActs(seedUser, name, page) {
  const other = await account(name);
  const client = new HeraldClient({ url: server.url, token: other.token, WebSocket: WS, presenceSnapshot: false });
  await new Promise((r) => client.once('connected', r));
  await page.waitForFunction(() => window.__frames.some((f) => f.type === 'user_status' && f.data.status === 'online'));
  await client.sendChat(seedUser.id, 'Hello from the SDK');
  await client.api.follow(seedUser.id);
  await page.waitForFunction(() => window.__frames.some((f) => f.type === 'notification'));
  return client;
}

test("the seed's React hook receives connected, user_status, chat and notification", { skip: skip ?? false }, async () => {
  const errors = [];
  const seedUser = await account('seed_react');
  const ctx = await browser.newContext();
  await ctx.addInitScript(initScript(seedUser.token));
  const page = await ctx.newPage();
  watchConsole(page, 'react', errors);
  await page.goto(server.url + '/');
  const paragraphs = page.locator('#root p');
  await page.waitForFunction(() => window.__frames.some((f) => f.type === 'connected'));
  await paragraphs.nth(1).filter({ hasText: /\b1$/ }).waitFor(); // onlineCount from connected: just us

  const client = await otherUserActs(seedUser, 'other_react', page);
  await paragraphs.nth(1).filter({ hasText: /\b2$/ }).waitFor(); // +1 from user_status online
  // The seed's App lists notifications as "<strong>title</strong>: message".
  await page.locator('#root strong', { hasText: 'New follower' }).waitFor();
  assert.match(await page.locator('#root').innerText(), /New follower: other_react followed you/);
  const seen = await types(page);
  for (const t of ['connected', 'user_status', 'chat', 'notification']) assert.ok(seen.includes(t), `${t} in ${seen}`);
  const chat = await page.evaluate(() => window.__frames.find((f) => f.type === 'chat'));
  assert.equal(chat.data.message, 'Hello from the SDK');
  assert.equal(chat.data.from_username, 'other_react');

  client.close(); // offline: -1
  await paragraphs.nth(1).filter({ hasText: /\b1$/ }).waitFor();
  await page.screenshot({ path: join(shots, 'seed-react.png') });
  await ctx.close();
  assert.deepEqual(errors, []);
});

test("the seed's Vue composable receives connected, user_status, chat and notification", { skip: skip ?? false }, async () => {
  const errors = [];
  const seedUser = await account('seed_vue');
  const ctx = await browser.newContext();
  await ctx.addInitScript(initScript(seedUser.token));
  const page = await ctx.newPage();
  watchConsole(page, 'vue', errors);
  await page.goto(server.url + '/vue.html');
  await page.locator('#connected', { hasText: /^connected$/ }).waitFor();
  await page.locator('#online', { hasText: /^1$/ }).waitFor(); // from connected
  const client = await otherUserActs(seedUser, 'other_vue', page);
  // The composable keeps notifications in `messages`.
  await page.locator('#messages li', { hasText: 'notification: New follower: other_vue followed you' }).waitFor();
  const seen = await types(page);
  for (const t of ['connected', 'user_status', 'chat', 'notification']) assert.ok(seen.includes(t), `${t} in ${seen}`);
  client.close();
  await page.screenshot({ path: join(shots, 'seed-vue.png') });
  await ctx.close();
  assert.deepEqual(errors, []);
});

test('the SDK\'s own Vue composable (herald-client/vue) keeps presence, chats and notifications', { skip: skip ?? false }, async () => {
  const errors = [];
  const user = await account('sdk_vue');
  const ctx = await browser.newContext();
  await ctx.addInitScript(initScript(user.token));
  const page = await ctx.newPage();
  watchConsole(page, 'sdk-vue', errors);
  await page.goto(server.url + '/sdk-vue.html');
  await page.locator('#connected', { hasText: /^connected$/ }).waitFor();
  await page.locator('#online', { hasText: /^1$/ }).waitFor();
  const client = await otherUserActs(user, 'other_sdk_vue', page);
  await page.locator('#online', { hasText: /^2$/ }).waitFor();
  await page.locator('#present li', { hasText: String(client.userId) }).waitFor();
  await page.locator('#chats li', { hasText: 'Hello from the SDK' }).waitFor();
  await page.locator('#notifications li', { hasText: 'other_sdk_vue followed you' }).waitFor();
  await page.locator('#unread', { hasText: /^1$/ }).waitFor();
  client.close();
  await page.locator('#online', { hasText: /^1$/ }).waitFor();
  await page.screenshot({ path: join(shots, 'sdk-vue.png') });
  await ctx.close();
  assert.deepEqual(errors, []);
});
