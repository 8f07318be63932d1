#!/usr/bin/env bash
# The Python package (python/, docs/python.md).
#   scripts/python.sh setup   the venv python/.venv with the pinned tools of python/requirements-dev.txt (maturin, mypy,
#                             pytest, redis, uhashring); python3-venv from Debian if the machine lacks it
#   scripts/python.sh wheel   the abi3 wheel into target/wheels/ (make wheel)
#   scripts/python.sh test    the wheel, installed into a clean venv and into python/.venv, then python/tests
#                             (make test runs this last; it needs pkg/, the npm package, and redis-server)
#   scripts/python.sh bench   pick throughput against uhashring (docs/performance.md)
# Idempotent: a warm run reuses the venv (stamped with the requirements) and cargo's build in target/python.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=python/.venv
py=${PYTHON:-python3}
export CARGO_TARGET_DIR=$PWD/target/python
log() { printf '[python] %s\n' "$*"; }

setup() {
  if ! "$py" -c 'import ensurepip, venv' 2>/dev/null; then
    log "installing python3-venv from Debian"
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >/dev/null
  fi
  local stamp=$venv/.edgeroute-stamp
  local want
  want=$( (cat python/requirements-dev.txt; "$py" --version) | sha256sum | cut -d' ' -f1)
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "creating $venv with $(basename "$py") and python/requirements-dev.txt"
    rm -rf "$venv"
    "$py" -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r python/requirements-dev.txt
    echo "$want" > "$stamp"
  fi
}

wheel() {
  setup
  rm -f target/wheels/edgeroute-*.whl
  "$venv/bin/maturin" build --quiet --release -m python/Cargo.toml --out target/wheels
  local whl
  whl=$(ls target/wheels/edgeroute-*.whl)
  case "$whl" in
    *-cp39-abi3-manylinux_*_x86_64.whl) ;;
    *) echo "expected an abi3 manylinux x86-64 wheel, got $whl" >&2; exit 1 ;;
  esac
  log "built $whl ($(stat -c %s "$whl") bytes)"
}

# The wheel on the other CPythons this machine has, 3.9 and later (pyenv's, or python3.X on PATH; Debian 12 has
# only 3.11): a clean venv each, the golden vectors replayed (python/tests/abi3_smoke.py).
abi3_matrix() {
  local whl=$1 main seen=" " p v clean
  main=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  for p in "$HOME"/.pyenv/versions/3.*/bin/python3 $(compgen -c python3. | grep -E '^python3\.[0-9]+$' | sort -u); do
    v=$("$p" -c 'import sys; print("%d.%d" % sys.version_info[:2]) if sys.version_info >= (3, 9) else exit(1)' 2>/dev/null) || continue
    [ "$v" = "$main" ] && continue
    case "$seen" in *" $v "*) continue ;; esac
    seen="$seen$v "
    clean=$(mktemp -d)
    "$p" -m venv "$clean" && "$clean/bin/pip" install -q --disable-pip-version-check --no-index "$whl" &&
      "$clean/bin/python" python/tests/abi3_smoke.py
    rm -rf "$clean"
  done
}

test_() {
  wheel
  local whl
  whl=$(ls target/wheels/edgeroute-*.whl)
  log "rustfmt and clippy of the facade crate"
  cargo fmt --manifest-path python/Cargo.toml --check
  # Its own target folder: with maturin's PYO3_* environment, clippy in target/python would rebuild PyO3 twice.
  CARGO_TARGET_DIR=$PWD/target/python-check cargo clippy --quiet --release --manifest-path python/Cargo.toml -- -D warnings
  log "the wheel in a clean venv: pip install with no index, import, pick"
  local clean
  clean=$(mktemp -d)
  "$py" -m venv "$clean"
  "$clean/bin/pip" install -q --disable-pip-version-check --no-index "$whl"
  (cd "$clean" && bin/python -c 'import edgeroute; r = edgeroute.Router(strategy="ring", nodes=[{"id": "a", "weight": 2}, {"id": "b"}, {"id": "c"}], seed=7); assert r.pick("key-0") == "a", r.pick("key-0"); print("clean venv:", edgeroute.__version__, edgeroute.__file__)')
  rm -rf "$clean"
  abi3_matrix "$whl"
  "$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps "$whl"
  log "pytest python/tests"
  (cd python && .venv/bin/pytest -q -s "$@")
}

bench() {
  wheel
  "$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps target/wheels/edgeroute-*.whl
  "$venv/bin/python" python/bench/uhashring_bench.py "$@"
}

cmd=${1:-test}
shift || true
case "$cmd" in
  setup) setup ;;
  wheel) wheel ;;
  test) test_ "$@" ;;
  bench) bench "$@" ;;
  *) echo "usage: scripts/python.sh setup|wheel|test|bench" >&2; exit 2 ;;
esac
