#!/usr/bin/env bash
# Time-boxed fuzzing of the native core with cargo fuzz (libFuzzer; stable Rust, so no sanitizer: Rust's own
# checks and the targets' assertions are the oracles). Usage: scripts/fuzz.sh [seconds per target] [jobs]
#   make test   runs it with 30 s per target
#   make fuzz   runs it with FUZZ_SECONDS (default 600) per target: the long run of docs/reliability.md
# Each target's corpus grows in fuzz/corpus/<target> (ignored) from the seeds in fuzz/seeds/<target>. A crash
# leaves its input in fuzz/artifacts/<target> and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
export PATH=$PWD/.tools/bin:$PATH
cache=${EDGEROUTE_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edgeroute-tools}
# Built once per machine outside the checkout, so a fresh clone does not rebuild libFuzzer and the deps.
export CARGO_TARGET_DIR=$cache/fuzz-target
cd fuzz
cargo fuzz build -s none -O >/dev/null 2>&1 || cargo fuzz build -s none -O
total=0
summary=()
for t in config ops hashes; do
  mkdir -p "corpus/$t"
  log=$(mktemp)
  if ! cargo fuzz run -s none -O "$t" "corpus/$t" "seeds/$t" -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    grep -A4 "panicked" "$log" || true
    tail -n 30 "$log"
    echo "fuzz: $t FAILED; the input is in fuzz/artifacts/$t" >&2
    exit 1
  fi
  runs=$(awk '/^Done [0-9]+ runs/ { print $2 }' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  total=$((total + runs))
  summary+=("$t: $runs runs, $cov coverage edges, 0 crashes")
  rm -f "$log"
done
printf 'fuzz: %s\n' "${summary[@]}"
echo "fuzz: $total executions in total, ${secs} s per target, 0 crashes"
