// make bench (first part): every strategy through the packed JS API in Node, the same lookups inside wasm alone
// (for the wasm/native ratio against `cargo bench --bench pick`), construction, module import time and the wasm
// size. Rounds are interleaved across strategies after a warm-up and the median round is reported, so a noisy
// neighbour skews all strategies alike. bench/peers.mjs compares with the npm hash rings.
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";

const root = path.resolve(import.meta.dirname, "..");
const t0 = performance.now();
const { Router } = await import(path.join(root, "pkg/node.mjs"));
const importMs = performance.now() - t0;
const wasm = fs.readFileSync(path.join(root, "pkg/edgeroute_bg.wasm"));
const t1 = performance.now();
const compiled = new WebAssembly.Module(wasm);
const compileMs = performance.now() - t1;
// A second instance of the module (the CommonJS glue) for the wasm-alone figures below.
const glue = createRequire(import.meta.url)(path.join(root, "pkg/glue.cjs"));

const N_NODES = 100;
const N_KEYS = 200_000;
const ROUNDS = 7;
const BATCH = 1000;
// The same nodes and keys as bench/peers.mjs and benches/pick.rs: 100 equal nodes, distinct 32-byte ASCII keys.
const nodes = Array.from({ length: N_NODES }, (_, i) => ({ id: `origin-${i}.example.net:443` }));
const keys = Array.from({ length: N_KEYS }, (_, i) => `/${i}/${"x".repeat(32)}`.slice(0, 32));
const chunks = [];
for (let i = 0; i < N_KEYS; i += BATCH) chunks.push(keys.slice(i, i + BATCH));
const hashing = ["ring", "maglev", "jump", "rendezvous", "hash"];
const others = ["random", "round-robin", "weighted-round-robin", "least-latency", "least-outstanding"];
const strategies = [...hashing, ...others];
const routers = Object.fromEntries(strategies.map((s) => [s, new Router({ strategy: s, nodes, seed: 1 })]));

/**
 * The wasm part alone: all keys encoded up front, then fed to the module's pickMany export a batch at a time
 * (copying a batch into wasm memory costs about 0.1 ns per key), so the time is the core's pick as Node runs it.
 * The scratch buffer is sized once, for every batch: growing it later would move it.
 */
const enc = new TextEncoder();
const batches = chunks.map((c) => ({ bytes: enc.encode(c.join("")), lens: Uint32Array.from(c, (k) => k.length) }));
const cap = Math.max(...batches.map((b) => b.bytes.length)) + 4 + 4 * BATCH;
const ptr = glue.scratch(cap);
function wasmCore(strategy) {
  const w = new glue.WasmRouter({ strategy, nodes, seed: 1 });
  return () => {
    const mem = glue.wasm_memory().buffer;
    const bytes = new Uint8Array(mem, ptr, cap);
    const words = new Uint32Array(mem, ptr, cap >> 2);
    let sink = 0;
    for (const b of batches) {
      bytes.set(b.bytes);
      const at = (b.bytes.length + 3) >> 2;
      words.set(b.lens, at);
      if (w.pick_many_scratch(b.bytes.length, b.lens.length, Date.now()) !== 0) throw w.take_error();
      sink += words[at];
    }
    return sink;
  };
}

const cases = {};
for (const s of strategies) cases[`${s} pick`] = () => {
  const r = routers[s];
  let sink = 0;
  for (let i = 0; i < N_KEYS; i++) sink += r.pick(keys[i]).length;
  return sink;
};
for (const s of hashing) cases[`${s} pickMany`] = () => {
  const r = routers[s];
  let sink = 0;
  for (const c of chunks) sink += r.pickMany(c).length;
  return sink;
};
for (const s of ["ring", "maglev", "jump"]) cases[`${s} pickN 3`] = () => {
  const r = routers[s];
  let sink = 0;
  for (let i = 0; i < N_KEYS; i++) sink += r.pickN(keys[i], 3).length;
  return sink;
};
for (const s of hashing) cases[`${s} wasm alone`] = wasmCore(s);

const time = (f) => {
  globalThis.gc?.(); // a collected heap per round (make bench passes --expose-gc)
  const start = performance.now();
  if (f() === 0) throw new Error("unreachable");
  return performance.now() - start;
};
for (const f of Object.values(cases)) time(f); // warm-up
const times = Object.fromEntries(Object.keys(cases).map((n) => [n, []]));
for (let rep = 0; rep < ROUNDS; rep++) for (const [n, f] of Object.entries(cases)) times[n].push(time(f));
const median = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];

console.log(`${N_KEYS} distinct 32-byte ASCII keys, ${N_NODES} nodes, median of ${ROUNDS} interleaved rounds (Node ${process.version})`);
console.log("operation                          Mops/s   ns/key");
for (const n of Object.keys(cases)) {
  const ms = median(times[n]);
  console.log(`${n.padEnd(32)} ${(N_KEYS / ms / 1000).toFixed(2).padStart(7)}   ${((ms * 1e6) / N_KEYS).toFixed(0).padStart(6)}`);
}

console.log("\nconstruction, ms (median of 9; 160 ring points per node, maglev table 65,537)");
for (const n of [10, 100, 1000]) {
  const ns = Array.from({ length: n }, (_, i) => ({ id: `node-${i}` }));
  const line = ["ring", "maglev", "rendezvous", "jump"].map((strategy) => {
    new Router({ strategy, nodes: ns }).free();
    const t = [];
    for (let i = 0; i < 9; i++) {
      const s = performance.now();
      new Router({ strategy, nodes: ns }).free();
      t.push(performance.now() - s);
    }
    return `${strategy} ${median(t).toFixed(2)}`;
  });
  console.log(`  ${String(n).padStart(4)} nodes: ${line.join(" | ")}`);
}
console.log("\nmetrics() and otlpMetrics(), ms (median of 21), against stats() on the same Router (after 100 picks and 20 reported latencies per node)");
for (const n of [10, 100, 1000]) {
  const r = new Router({ strategy: "ring", nodes: Array.from({ length: n }, (_, i) => ({ id: `node-${i}` })) });
  for (let i = 0; i < 100 * n; i++) r.pick(`/k/${i}`);
  for (let i = 0; i < 20 * n; i++) r.report(`node-${i % n}`, { ok: i % 9 !== 0, latencyMs: (i * 37) % 3000 });
  const time = (f) => {
    f();
    const t = [];
    for (let i = 0; i < 21; i++) {
      const s = performance.now();
      f();
      t.push(performance.now() - s);
    }
    return median(t);
  };
  const [m, o, st] = [time(() => r.metrics({ labels: { pool: "p" } })), time(() => r.otlpMetrics()), time(() => r.stats())];
  const bytes = r.metrics({ labels: { pool: "p" } }).length;
  console.log(`  ${String(n).padStart(4)} nodes: metrics ${m.toFixed(3)} (${bytes} B, ${(m / st).toFixed(1)}x stats) | otlpMetrics ${o.toFixed(3)} | stats ${st.toFixed(3)}`);
  r.free();
}
// Instantiation of the compiled module, as an entry point does it (fresh copies of the web glue).
const inst = [];
for (let i = 0; i < 9; i++) {
  const g = await import(`${path.join(root, "pkg/glue.js")}?instance=${i}`);
  const s = performance.now();
  g.initSync({ module: compiled });
  inst.push(performance.now() - s);
}
console.log(`\nmodule: compile ${compileMs.toFixed(2)} ms, instantiate ${median(inst).toFixed(3)} ms (median of 9); first import of pkg/node.mjs (read, compile, instantiate, glue) ${importMs.toFixed(1)} ms`);
console.log(`wasm: ${wasm.length} B raw, ${zlib.gzipSync(wasm, { level: 9 }).length} B gzip (-9), ${zlib.brotliCompressSync(wasm).length} B brotli`);
