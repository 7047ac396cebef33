// Builds the demo app into web/dist: one JS bundle (React + herald-client
// from clients/js/src) and one stylesheet, both with content-hashed names
// (served as immutable by herald), and index.html pointing at them (served
// no-cache). esbuild comes from clients/js's devDependencies: one
// `npm ci` there installs everything the web build and the tests need.
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const sdk = resolve(here, '../clients/js');
const require = createRequire(join(sdk, 'package.json'));
const esbuild = require('esbuild');
const out = join(here, 'dist');

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });

const result = await esbuild.build({
  entryPoints: { app: join(here, 'src/main.tsx') },
  bundle: true,
  minify: process.env.HERALD_WEB_MINIFY !== '0', // HERALD_WEB_MINIFY=0 for readable stacks
  sourcemap: true,
  format: 'esm',
  target: ['es2020'],
  outdir: join(out, 'assets'),
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  jsx: 'automatic',
  nodePaths: [join(sdk, 'node_modules')],
  alias: {
    'herald-client/react': join(sdk, 'src/react.ts'),
    'herald-client': join(sdk, 'src/index.ts'),
  },
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const js = outputs.find((f) => f.endsWith('.js'));
const css = outputs.find((f) => f.endsWith('.css'));
const html = readFileSync(join(here, 'index.html'), 'utf8')
  .replace('%APP_JS%', `/assets/${js}`)
  .replace('%APP_CSS%', css ? `<link rel="stylesheet" href="/assets/${css}">` : '');
writeFileSync(join(out, 'index.html'), html);
writeFileSync(join(out, 'favicon.svg'), readFileSync(join(here, 'favicon.svg')));
console.log(`web/dist: index.html, assets/${js}${css ? `, assets/${css}` : ''}`);
