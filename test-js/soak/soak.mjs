// Leak and soak run of the packed package in Node (run with --expose-gc):
//   1. create, use and free ROUTERS Routers of every strategy;
//   2. create, use and drop DROPPED Routers without free(), leaving them to wasm-bindgen's FinalizationRegistry;
//   3. PICKS picks on one Router, with a node added or removed every 100,000 picks.
// WebAssembly memory is sampled throughout; it must stop growing (a plateau) in each phase. Prints one JSON line
// of figures. Sizes: SOAK=full gives 1,000,000 / 100,000 / 100,000,000; the default is the short run of make test.
import { Router } from "edgeroute";

const full = process.env.SOAK === "full";
const ROUTERS = full ? 1_000_000 : 100_000;
const DROPPED = full ? 100_000 : 20_000;
const PICKS = full ? 100_000_000 : 5_000_000;
const mem = () => Router.wasmMemoryBytes();
const NODES = Array.from({ length: 8 }, (_, i) => ({ id: `origin-${i}.example:443`, weight: 1 + (i % 3) }));
const OPTIONS = [
  { strategy: "ring", vnodes: 40 },
  { strategy: "rendezvous" },
  { strategy: "maglev", tableSize: 1009 },
  { strategy: "jump" },
  { strategy: "hash" },
  { strategy: "ring", vnodes: 20, boundedLoad: true },
  { strategy: "least-latency", seed: 1 },
  { strategy: "weighted-round-robin" },
];
const make = (i) => new Router({ ...OPTIONS[i % OPTIONS.length], nodes: NODES });
const use = (r, i) => {
  const l = r.acquire(`key-${i}`);
  l.end({ ok: i % 7 !== 0, latencyMs: i % 50 });
  r.pickN(`key-${i}`, 3);
  r.add({ id: "extra", weight: 2 });
  r.remove("origin-3.example:443");
  return r.stats().length;
};
const settle = async () => {
  for (let k = 0; k < 4; k++) {
    globalThis.gc();
    await new Promise((res) => setImmediate(res));
  }
};

/** Memory sampled at 10 checkpoints; the plateau is reached when the last half adds no page. */
function plateau(samples) {
  const half = samples.slice(Math.floor(samples.length / 2));
  return { samples, grewInSecondHalf: Math.max(...half) - half[0] };
}

const figures = { mode: full ? "full" : "short", startBytes: mem() };

// 1. create, use, free
let samples = [];
for (let i = 0; i < ROUTERS; i++) {
  const r = make(i);
  use(r, i);
  r.free();
  if ((i + 1) % (ROUTERS / 10) === 0) samples.push(mem());
}
figures.freed = { routers: ROUTERS, ...plateau(samples) };

// 2. dropped without free(): FinalizationRegistry frees them after GC
samples = [];
for (let i = 0; i < DROPPED; i++) {
  use(make(i), i);
  if ((i + 1) % (DROPPED / 10) === 0) {
    await settle();
    samples.push(mem());
  }
}
figures.dropped = { routers: DROPPED, ...plateau(samples) };

// 3. picks on one Router with pool changes
const r = new Router({ strategy: "ring", nodes: NODES });
samples = [];
const rates = [];
const keys = Array.from({ length: 4096 }, (_, i) => `/assets/${i}/app.js?v=${i % 13}`);
let t0 = performance.now();
let sink = 0;
for (let i = 1; i <= PICKS; i++) {
  sink += r.pick(keys[i & 4095]).length;
  if (i % 100_000 === 0) {
    if ((i / 100_000) % 2) r.add({ id: "churn", weight: 2 });
    else r.remove("churn");
  }
  if (i % (PICKS / 10) === 0) {
    const t = performance.now();
    rates.push(Math.round((PICKS / 10) / ((t - t0) / 1000)));
    t0 = t;
    samples.push(mem());
  }
}
figures.picks = { picks: PICKS, poolChanges: PICKS / 100_000, picksPerSecond: rates, ...plateau(samples), sink: sink > 0 };
figures.endBytes = mem();
console.log(JSON.stringify(figures));
