// Test helper: runs the real `herald` binary on a free loopback port with a
// fresh data directory (like tests/integration/conftest.py), mints HS256
// tokens with its secret, and stops it with SIGTERM. restart() keeps the
// port and the data directory, so clients reconnect to "the same server".
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SECRET = 'sdk-test-secret-0123456789abcdef-0123456789';
const here = dirname(fileURLToPath(import.meta.url));

export function heraldBinary() {
  const candidates = [process.env.HERALD_BIN, resolve(here, '../../../build/herald')].filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`herald binary not found (set HERALD_BIN); tried ${candidates.join(', ')}`);
  return found;
}

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

const b64 = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');

/** An HS256 access token for user `id`; ttl in seconds (negative: already expired). */
export function mintToken(id, { ttl = 3600, username = `user${id}`, secret = SECRET } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const head = b64({ alg: 'HS256', typ: 'JWT' });
  const body = b64({ sub: String(id), iat: now, exp: now + ttl, type: 'access', username });
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `predicate` until true or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(predicate, what, timeoutMs = 10000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await predicate()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export class HeraldServer {
  constructor(extraArgs = []) {
    this.extraArgs = extraArgs;
    this.dataDir = mkdtempSync(join(tmpdir(), 'herald-sdk-'));
    this.proc = null;
    this.port = null;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    if (this.port === null) this.port = await freePort();
    const args = ['serve', '--port', String(this.port), '--data-dir', this.dataDir, '--jwt-secret', SECRET,
      '--workers', '2', '--log-level', 'warn', '--max-connections-per-address', '0', ...this.extraArgs];
    const log = openSync(join(this.dataDir, 'server.log'), 'a');
    this.proc = spawn(heraldBinary(), args, { stdio: ['ignore', log, log] });
    closeSync(log);
    const proc = this.proc;
    const end = Date.now() + 10000;
    while (Date.now() < end) {
      if (proc.exitCode !== null) throw new Error(`herald exited early with ${proc.exitCode}`);
      try {
        const r = await fetch(`${this.url}/health`);
        if (r.ok) return this;
      } catch {
        /* not up yet */
      }
      await sleep(50);
    }
    throw new Error('herald did not become healthy');
  }

  /** SIGTERM (or `signal`) and wait for the exit; returns the exit code. */
  async stop(signal = 'SIGTERM') {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return proc?.exitCode ?? null;
    const exited = new Promise((r) => proc.once('exit', (code, sig) => r(code ?? sig)));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 12000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }

  async restart(signal = 'SIGTERM') {
    await this.stop(signal);
    return this.start();
  }

  async dispose() {
    const code = await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
    return code;
  }

  token(id, opts) {
    return mintToken(id, opts);
  }

  async get(path, token) {
    const r = await fetch(`${this.url}/api/v1${path}`, { headers: { Authorization: `Bearer ${token}` } });
    if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
    return r.json();
  }
}
