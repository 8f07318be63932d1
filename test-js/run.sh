#!/usr/bin/env bash
# Packs pkg/ with `npm pack`, installs the tarball into a fresh temporary project (test-js/.work/proj), and runs
# the JS tests there: Node (ESM + CJS), workerd (wrangler bundle + Miniflare), a page in headless Chromium
# (playwright-core), Deno, a real Prometheus scraping the metrics, and the TypeScript types; the quick suites again
# on Node 22, 24, 26 and Bun (installed by scripts/setup.sh test); attw and publint on the tarball. Needs `make pkg`
# (or node scripts/build-pkg.mjs) first.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/test-js/.work
proj=$work/proj
rm -rf "$work"
mkdir -p "$proj/test"
tgz=$(cd pkg && npm pack --pack-destination "$work" --silent 2>/dev/null | tail -n 1)
echo "packed $tgz ($(du -k "$work/$tgz" | cut -f1) KiB)"

echo "=== The tarball as TypeScript and bundlers resolve it: attw (every resolution mode) and publint (warnings fail)"
# The .wasm and the Lua scripts are files, not modules: attw cannot resolve them as imports.
"$root/node_modules/.bin/attw" "$work/$tgz" --profile strict --no-color --no-emoji --exclude-entrypoints ./edgeroute_bg.wasm './lua/*'
mkdir "$work/unpacked" && tar xzf "$work/$tgz" -C "$work/unpacked"
(cd "$work/unpacked/package" && "$root/node_modules/.bin/publint" --strict --pack false)
cat > "$proj/package.json" <<JSON
{ "name": "edgeroute-consumer", "private": true, "type": "module", "dependencies": { "edgeroute": "file:../$tgz" } }
JSON
(cd "$proj" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
# Redis clients for the registry tests, the bundlers of test/browser/bundlers.test.mjs, and the metrics test's
# reference parser and OpenTelemetry SDK, linked from the checkout's dev packages (Node resolves their own
# dependencies from the link's real path).
for p in ioredis redis hashring consistent-hash vite webpack rollup @rollup/plugin-node-resolve @web/rollup-plugin-import-meta-assets parse-prometheus-text-format @opentelemetry; do
  mkdir -p "$(dirname "$proj/node_modules/$p")"
  ln -s "$root/node_modules/$p" "$proj/node_modules/$p"
done
cp -r test-js/node test-js/deno test-js/workerd test-js/browser test-js/redis test-js/compat test-js/prometheus test-js/soak test-js/shared test-js/types test-js/matrix tests/golden "$proj/test/"
cp -r examples "$proj/"
cd "$proj"
bun=$root/.tools/bin/bun
[ -x "$bun" ] || { echo "missing $bun: run scripts/setup.sh test" >&2; exit 1; }
export WRANGLER_BIN=$root/node_modules/.bin/wrangler WRANGLER_SEND_METRICS=false BUN_BIN=$bun

echo "=== Node (ESM, CJS), workerd (Miniflare), Chromium pages (playwright-core; bundled by esbuild, Vite, webpack, Rollup, bun build)"
node --test --test-reporter=spec test/node/*.test.mjs test/node/*.test.cjs test/workerd/*.test.mjs test/browser/*.test.mjs

# The quick suites (ESM, CJS, the Node examples) on the other Node versions and on Bun. A missing runtime is an
# error: scripts/setup.sh test installs them.
for major in 22 24 26; do
  bin=$root/.tools/node-$major/bin/node
  [ -x "$bin" ] || { echo "missing $bin: run scripts/setup.sh test" >&2; exit 1; }
  echo "=== Node $("$bin" --version): ESM, CJS, examples"
  "$bin" --test --test-reporter=spec test/node/esm.test.mjs test/node/cjs.test.cjs test/matrix/examples.test.mjs
done
echo "=== Bun $("$bun" --version): ESM, CJS, examples (bun test runs the node:test files)"
# bun test stops a test after 5 s by default; the hostile property test runs 24,000 operations.
"$bun" test --timeout 120000 test/node/esm.test.mjs test/node/cjs.test.cjs test/matrix/examples.test.mjs

echo "=== Redis registry and Lua scripts (real redis-server, and a 3-master cluster)"
node --test --test-reporter=spec test/redis/*.test.mjs

echo "=== Compat profiles against real nginx, haproxy, nutcracker + memcached, squid, caddy, and npm hashring"
node --test --test-reporter=spec test/compat/*.test.mjs

echo "=== metrics() scraped by a real Prometheus from examples/metrics-server.mjs, promtool, the Grafana dashboard's queries"
# Fails, never skips, when prometheus is missing or cannot start: scripts/setup.sh test installs it.
node --test --test-reporter=spec test/prometheus/*.test.mjs

echo "=== Leak and soak, short run (make soak runs the full one)"
node --test --test-reporter=spec test/soak/*.test.mjs

echo "=== Deno $("$root/node_modules/.bin/deno" --version | head -n 1 | cut -d' ' -f2)"
# The test file itself is not type-checked (its node:assert types would need @types/node); the example users
# copy is.
"$root/node_modules/.bin/deno" check examples/deno.ts
"$root/node_modules/.bin/deno" test --no-check --allow-read=. --allow-net=127.0.0.1 --allow-env --allow-run test/deno/

echo "=== TypeScript types (tsc --strict: ESM and CJS consumers under bundler, node16, nodenext; the shared test JS with --checkJs)"
for resolution in bundler node16 nodenext; do
  "$root/node_modules/.bin/tsc" -p "test/types/tsconfig.$resolution.json"
  echo "types: usage.ts (ESM) and usage.cts (CJS) type-check under $resolution, every @ts-expect-error is a real error"
done
"$root/node_modules/.bin/tsc" -p test/types/tsconfig.shared.json
echo "types: test/shared/*.js type-checks against the package's types, every @ts-expect-error is a real error"
