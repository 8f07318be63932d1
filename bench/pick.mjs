// make bench: pick() throughput of every strategy through the packed JS API in Node, construction time, module
// instantiate time and the wasm size. Rounds are interleaved across strategies after a warm-up, and the median
// round is reported, so a noisy neighbour skews all strategies alike. (Peer libraries and the native criterion
// comparison belong to the performance issue.)
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { performance } from "node:perf_hooks";

const root = path.resolve(import.meta.dirname, "..");
const t0 = performance.now();
const { Router } = await import(path.join(root, "pkg/node.mjs"));
const importMs = performance.now() - t0;
const wasm = fs.readFileSync(path.join(root, "pkg/edgeroute_bg.wasm"));
const t1 = performance.now();
new WebAssembly.Module(wasm);
const compileMs = performance.now() - t1;

const N_NODES = 100;
const N_KEYS = 200_000;
const nodes = Array.from({ length: N_NODES }, (_, i) => ({ id: `origin-${i}.example.net:443`, weight: 1 + (i % 3) }));
const keys = Array.from({ length: N_KEYS }, (_, i) => `/v1/objects/${String(i).padStart(8, "0")}/data.bin`.slice(0, 32));
const strategies = ["ring", "rendezvous", "maglev", "jump", "random", "round-robin", "weighted-round-robin", "least-latency"];
const routers = Object.fromEntries(strategies.map((s) => [s, new Router({ strategy: s, nodes, seed: 1 })]));

function round(r) {
  const start = performance.now();
  let sink = 0;
  for (let i = 0; i < N_KEYS; i++) sink += r.pick(keys[i]).length;
  const ms = performance.now() - start;
  if (sink === 0) throw new Error("unreachable");
  return ms;
}
for (const s of strategies) round(routers[s]); // warm-up
const times = Object.fromEntries(strategies.map((s) => [s, []]));
for (let rep = 0; rep < 7; rep++) for (const s of strategies) times[s].push(round(routers[s]));
const median = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];

console.log(`pick() of ${N_KEYS} distinct 32-byte keys, ${N_NODES} nodes, median of 7 interleaved rounds (Node ${process.version})`);
console.log("strategy               Mops/s   ns/pick");
for (const s of strategies) {
  const ms = median(times[s]);
  console.log(`${s.padEnd(22)} ${(N_KEYS / ms / 1000).toFixed(2).padStart(6)}   ${((ms * 1e6) / N_KEYS).toFixed(0).padStart(7)}`);
}

for (const n of [10, 100, 1000]) {
  const ns = Array.from({ length: n }, (_, i) => ({ id: `node-${i}` }));
  new Router({ strategy: "ring", nodes: ns }).free();
  const reps = n === 1000 ? 5 : 20;
  const t = performance.now();
  for (let i = 0; i < reps; i++) new Router({ strategy: "ring", nodes: ns }).free();
  console.log(`ring construction, ${String(n).padStart(4)} nodes x 160 points: ${((performance.now() - t) / reps).toFixed(2)} ms`);
}
console.log(`module: import (compile + instantiate) ${importMs.toFixed(1)} ms, compile alone ${compileMs.toFixed(1)} ms`);
console.log(`wasm: ${wasm.length} B raw, ${zlib.gzipSync(wasm, { level: 9 }).length} B gzip`);
