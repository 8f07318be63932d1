#!/usr/bin/env bash
# Every test, in order of cost. `make test` runs scripts/setup.sh test and builds pkg/ first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PWD/.tools/bin:$PWD/node_modules/.bin:$PATH
step() { printf '\n=== %s\n' "$*"; }

step "rustfmt"
cargo fmt --check

step "layers: no import up or across in src/, no circle, no file over 600 lines"
node scripts/check-layers.mjs

step "clippy (native and wasm32, all targets, warnings are errors)"
cargo clippy --quiet --all-targets -- -D warnings
cargo clippy --quiet --all-targets --target wasm32-unknown-unknown -- -D warnings

step "wasm size within the budget"
node scripts/check-size.mjs

step "the npm README: install first, every link it makes is shipped, a CHANGELOG"
node scripts/pkg-readme.mjs --check

step "docs/errors.md matches what the package throws"
node scripts/errors-doc.mjs --check

step "native tests: unit, oracle, property, golden, doc"
cargo test --release

step "fuzzing, time-boxed (30 s per target; make fuzz runs the long one)"
bash scripts/fuzz.sh 30

step "wasm-bindgen tests in Node"
cargo test --target wasm32-unknown-unknown --test wasm

step "wasm-bindgen tests in headless Chromium"
WASM_BINDGEN_USE_BROWSER=1 cargo test --target wasm32-unknown-unknown --test wasm

step "a panic in a debug build reaches JS as ERR_INTERNAL with its message"
cargo build --quiet --lib --target wasm32-unknown-unknown
wasm-bindgen --target nodejs --out-dir target/debug-glue target/wasm32-unknown-unknown/debug/edgeroute.wasm
echo '{ "type": "commonjs" }' > target/debug-glue/package.json
node --test --test-reporter=spec test-js/panic/

step "the packed npm package in Node, workerd, Chromium and Deno, and its types"
bash test-js/run.sh

step "demo: the server, then the page in headless Chromium and Firefox"
node scripts/serve.mjs --check
node --test --test-reporter=spec test-js/demo/

step "the Python package: the wheel in a clean venv, then python/tests against the npm package and redis-server"
bash scripts/python.sh test
