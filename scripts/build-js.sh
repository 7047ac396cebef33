#!/usr/bin/env bash
# Builds the JavaScript side: installs clients/js's npm packages (the SDK's
# devDependencies, which are also what web/ and tests/e2e use: TypeScript,
# esbuild, React, Vue, ws, playwright-core; no browser is downloaded:
# playwright-core has no install step and the tests drive Debian's
# chromium), compiles the SDK to clients/js/dist and the demo app to
# web/dist. Idempotent and quick when nothing changed, so `make run`,
# `make test` and the ctest fixture can all call it.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "build-js: node and npm are required (scripts/install-deps.sh installs them)" >&2
  exit 1
fi

# npm ci only when the lock file changed since the last install.
stamp=clients/js/node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ clients/js/package-lock.json -nt "$stamp" ]; then
  (cd clients/js && npm ci --no-audit --no-fund --loglevel=error)
fi

(cd clients/js && ./node_modules/.bin/tsc -p tsconfig.json)
# esbuild does not type-check: the demo is checked against the SDK's types here.
(cd web && ../clients/js/node_modules/.bin/tsc -p tsconfig.json)
node web/build.mjs
