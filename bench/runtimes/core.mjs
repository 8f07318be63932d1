// The benchmark that bench/runtimes.mjs runs inside every runtime (Node, Bun, Deno, workerd, Chromium). Plain
// ESM, no runtime APIs: the caller hands in Router (the runtime's edgeroute entry), HashRing and ConsistentHash
// (an esbuild bundle of the npm packages), a clock and, where the runtime has one, a way to collect the heap.
//
// Shapes: 8/32/256-byte ASCII and UTF-8 keys, 50,000 distinct keys each (built as bench/peers.mjs builds them),
// and a Zipf stream: 200,000 draws (exponent 1.0, a fixed-seed PRNG) over 100,000 distinct 32-byte ASCII keys.
// Contenders, on the same 100 nodes: edgeroute ring pick, ring pickMany (batches of 1,000), consistent-hash get,
// hashring get. Warm-up first, then 5 rounds with the contenders interleaved in each, median ns per key.

import { mulberry32 } from "./prng.js";

export const N_NODES = 100;
export const N_KEYS = 50_000;
export const ROUNDS = 5;
export const BATCH = 1000;
export const WARMUP_KEYS = 20_000;
export const ZIPF = { draws: 200_000, keys: 100_000, exponent: 1.0, seed: 0x17_2026 };
export const CONTENDERS = ["pick", "pickMany", "consistent-hash", "hashring"];
export const SHAPES = [
  { name: "8-byte ASCII", len: 8, utf8: false },
  { name: "8-byte UTF-8", len: 8, utf8: true },
  { name: "32-byte ASCII", len: 32, utf8: false },
  { name: "32-byte UTF-8", len: 32, utf8: true },
  { name: "256-byte ASCII", len: 256, utf8: false },
  { name: "256-byte UTF-8", len: 256, utf8: true },
  { name: "Zipf 32-byte ASCII", zipf: true },
];
export const ids = Array.from({ length: N_NODES }, (_, i) => `origin-${i}.example.net:443`);

/** bench/peers.mjs's keys (same strings), with the UTF-8 length counted as it grows instead of re-encoded. */
export function makeKeys(n, len, utf8) {
  const unit = "é東"; // 2- and 3-byte characters
  return Array.from({ length: n }, (_, i) => {
    let k = `/${i}/`;
    if (utf8) {
      let bytes = k.length;
      while (bytes < len) {
        const ch = unit[k.length % 2];
        k += ch;
        bytes += ch === "é" ? 2 : 3;
      }
      return k;
    }
    return (k + "x".repeat(len)).slice(0, len);
  });
}

/** ZIPF.draws keys drawn with P(rank r) ∝ 1/r^exponent over ZIPF.keys distinct 32-byte ASCII keys. */
export function zipfStream() {
  const keys = makeKeys(ZIPF.keys, 32, false);
  const cdf = new Float64Array(ZIPF.keys);
  let sum = 0;
  for (let r = 0; r < ZIPF.keys; r++) cdf[r] = sum += 1 / Math.pow(r + 1, ZIPF.exponent);
  const rand = mulberry32(ZIPF.seed);
  const out = new Array(ZIPF.draws);
  for (let i = 0; i < ZIPF.draws; i++) {
    const u = rand() * sum;
    let lo = 0;
    let hi = ZIPF.keys - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    out[i] = keys[lo];
  }
  return out;
}

const batched = (fn) => Object.assign(fn, { batched: true });

/** The contenders; a peer that cannot be built in this runtime is left out with the reason in `skipped`. */
export function makeContenders({ Router, HashRing, ConsistentHash }) {
  const r = new Router({ strategy: "ring", nodes: ids.map((id) => ({ id })) });
  const c = { pick: (k) => r.pick(k), pickMany: batched((ks) => r.pickMany(ks)) };
  const skipped = {};
  try {
    const ch = new ConsistentHash();
    for (const id of ids) ch.add(id);
    ch.get("warm"); // it sorts its points on first use
    c["consistent-hash"] = (k) => ch.get(k);
  } catch (e) {
    skipped["consistent-hash"] = String(e?.message ?? e);
  }
  try {
    const h = new HashRing(ids);
    h.get("warm");
    c.hashring = (k) => h.get(k);
  } catch (e) {
    skipped.hashring = String(e?.message ?? e);
  }
  return { contenders: c, skipped };
}

/** The key set cut into batches once, outside the timed rounds (as bench/peers.mjs does). */
export function batchesOf(keys) {
  const chunks = [];
  for (let i = 0; i < keys.length; i += BATCH) chunks.push(keys.slice(i, i + BATCH));
  return chunks;
}

/** pick and pickMany must name the same owner for every key of the shape, or the benchmark measures nothing. */
export function checkSame(c, keys, chunks) {
  const many = chunks.flatMap((ch) => c.pickMany(ch));
  if (many.length !== keys.length) throw new Error(`pickMany returned ${many.length} owners for ${keys.length} keys`);
  for (let i = 0; i < keys.length; i++) {
    const one = c.pick(keys[i]);
    if (one !== many[i] || typeof one !== "string") throw new Error(`key ${JSON.stringify(keys[i])}: pick ${one}, pickMany ${many[i]}`);
  }
  return keys.length;
}

/** One pass of `fn` over the keys (or their batches), `reps` times; returns a checksum so nothing is optimised out. */
export function pass(fn, keys, chunks, reps = 1) {
  let sink = 0;
  for (let r = 0; r < reps; r++) {
    if (fn.batched) for (const ch of chunks) sink += fn(ch).length;
    else for (let i = 0; i < keys.length; i++) sink += fn(keys[i]).length;
  }
  if (sink === 0) throw new Error("unreachable");
  return sink;
}

export function shapeKeys(shape) {
  return shape.zipf ? zipfStream() : makeKeys(N_KEYS, shape.len, shape.utf8);
}

export const median = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];

/**
 * The whole benchmark, timed in-process with `now()` (ms). For runtimes whose clock runs during JS (all but
 * workerd). Returns { shapes: { [shape]: { ns: { contender: median ns per key }, checked } }, skipped }.
 */
export function benchmark({ Router, HashRing, ConsistentHash, now, gc, log = () => {} }) {
  const { contenders, skipped } = makeContenders({ Router, HashRing, ConsistentHash });
  const shapes = {};
  for (const shape of SHAPES) {
    const keys = shapeKeys(shape);
    const chunks = batchesOf(keys);
    const checked = checkSame(contenders, keys, chunks);
    const warmKeys = keys.slice(0, WARMUP_KEYS);
    const warmChunks = batchesOf(warmKeys);
    for (const f of Object.values(contenders)) pass(f, warmKeys, warmChunks);
    const times = Object.fromEntries(Object.keys(contenders).map((n) => [n, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const [n, f] of Object.entries(contenders)) {
        gc?.(); // each round from a collected heap, so one contender's garbage is not collected on the next's time
        const t = now();
        pass(f, keys, chunks);
        times[n].push(((now() - t) * 1e6) / keys.length);
      }
    }
    const ns = Object.fromEntries(Object.entries(times).map(([n, t]) => [n, median(t)]));
    shapes[shape.name] = { ns, checked, keys: keys.length };
    log(`${shape.name}: ${Object.entries(ns).map(([n, v]) => `${n} ${v.toFixed(0)}`).join(", ")}`);
  }
  return { shapes, skipped };
}
