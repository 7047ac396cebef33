// Shared by the browser tests: Debian's chromium driven by playwright-core
// (from clients/js's devDependencies; never a downloaded browser), a real
// herald from the SDK tests' helper, esbuild for the pages, and the folder
// where screenshots are kept as test artifacts.
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '../..');
export const sdkDir = join(repo, 'clients/js');
export const requireSdk = createRequire(join(sdkDir, 'package.json'));
export { HeraldServer, sleep, waitFor } from '../../clients/js/test/herald-server.mjs';

export const CHROMIUM = process.env.HERALD_CHROMIUM || '/usr/bin/chromium';

/** Why the browser tests cannot run, or null. The caller skips with this text. */
export function missingBrowser() {
  if (!existsSync(CHROMIUM)) {
    return `E2E-SKIPPED: ${CHROMIUM} is missing (Debian package chromium; scripts/install-deps.sh installs it)`;
  }
  return null;
}

export function artifactsDir() {
  const dir = process.env.HERALD_E2E_ARTIFACTS || join(tmpdir(), 'herald-e2e-artifacts');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export async function launch() {
  const { chromium } = requireSdk('playwright-core');
  const args = ['--disable-dev-shm-usage', '--disable-gpu'];
  if (process.getuid?.() === 0) args.push('--no-sandbox'); // chromium refuses root with its sandbox
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args, timeout: 30000 });
}

/** Records every page console error, so a test can assert there were none. */
export function watchConsole(page, label, sink) {
  page.on('console', (m) => {
    if (m.type() === 'error') sink.push(`${label}: ${m.text()}`);
  });
  page.on('pageerror', (e) => sink.push(`${label}: ${e.message}`));
}
