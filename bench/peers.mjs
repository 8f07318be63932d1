// make bench (second part): edgeroute against the npm hash rings in one process, interleaved after a warm-up.
// Same 100 nodes, same 200,000 distinct keys per shape (8, 32 and 256 bytes; ASCII and UTF-8), median of 5
// rounds; ns per operation and the ratio peer / edgeroute (above 1: edgeroute is faster).
//   hashring@3.2.0         libketama-style ring (MD5, 160 points per server), the most used npm ring
//   consistent-hash@1.2.2  a small JS ring (40 random control points per node, a fast JS string hash)
import path from "node:path";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";

const root = path.resolve(import.meta.dirname, "..");
const require = createRequire(path.join(root, "package.json"));
const HashRing = require("hashring");
const ConsistentHash = require("consistent-hash");
const { Router } = await import(path.join(root, "pkg/node.mjs"));

const N_NODES = 100;
const N_KEYS = 200_000;
const ROUNDS = 5;
const ids = Array.from({ length: N_NODES }, (_, i) => `origin-${i}.example.net:443`);

function makeKeys(len, utf8) {
  const unit = utf8 ? "é東" : "ab"; // 2- and 3-byte characters: a multiple of 5 bytes per pair
  return Array.from({ length: N_KEYS }, (_, i) => {
    let k = `/${i}/`;
    if (utf8) {
      while (new TextEncoder().encode(k).length < len) k += unit[k.length % 2];
      return k;
    }
    return (k + "x".repeat(len)).slice(0, len);
  });
}

const peers = {
  ring: () => {
    const r = new Router({ strategy: "ring", nodes: ids.map((id) => ({ id })) });
    return { pick: (k) => r.pick(k), pickN: (k) => r.pickN(k, 3), pickMany: batched((ks) => r.pickMany(ks)) };
  },
  hashring: () => {
    const h = new HashRing(ids);
    return { pick: (k) => h.get(k), pickN: (k) => h.range(k, 3) };
  },
  "consistent-hash": () => {
    const c = new ConsistentHash();
    for (const id of ids) c.add(id);
    return { pick: (k) => c.get(k), pickN: (k) => c.get(k, 3) };
  },
};
const others = ["rendezvous", "maglev", "jump", "hash"];

const BATCH = 1000;
/** A contender that takes a batch of keys (pickMany) rather than one key. */
const batched = (fn) => Object.assign(fn, { batched: true });

/**
 * The key set cut into batches, once per key set: batches made inside a timed round are young objects that the
 * garbage collector copies while pickMany allocates, which measured pickMany at twice its real cost.
 */
const batchesOf = new WeakMap();
function batches(keys) {
  if (!batchesOf.has(keys)) {
    const chunks = [];
    for (let i = 0; i < keys.length; i += BATCH) chunks.push(keys.slice(i, i + BATCH));
    batchesOf.set(keys, chunks);
  }
  return batchesOf.get(keys);
}

function round(fn, keys) {
  // Each round starts from a collected heap (make bench passes --expose-gc), so garbage one contender leaves
  // (hashring allocates per call) is not collected on the next contender's time.
  globalThis.gc?.();
  let sink = 0;
  let t;
  if (fn.batched) {
    const chunks = batches(keys);
    t = performance.now();
    for (const c of chunks) sink += fn(c).length;
  } else {
    t = performance.now();
    for (let i = 0; i < keys.length; i++) sink += fn(keys[i]).length;
  }
  const ns = ((performance.now() - t) * 1e6) / keys.length;
  if (sink === 0) throw new Error("unreachable");
  return ns;
}
const median = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];

function compare(title, contenders, keys) {
  batches(keys);
  for (const f of Object.values(contenders)) round(f, keys.slice(0, 20_000)); // warm-up
  const times = Object.fromEntries(Object.keys(contenders).map((n) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) for (const [n, f] of Object.entries(contenders)) times[n].push(round(f, keys));
  const ns = Object.fromEntries(Object.entries(times).map(([n, t]) => [n, median(t)]));
  const ours = ns.ring;
  const many = ns["ring pickMany"];
  console.log(`\n${title}`);
  for (const [n, v] of Object.entries(ns)) {
    let ratio = "";
    if (n in peers && n !== "ring") {
      ratio = `  ring pick ${(v / ours).toFixed(2)}x faster` + (many ? `, pickMany ${(v / many).toFixed(2)}x` : "");
    } else if (n !== "ring") {
      ratio = `  ${(ours / v).toFixed(2)}x the ring's speed`;
    }
    const name = n === "ring" ? "edgeroute ring" : n in peers ? n : `edgeroute ${n}`;
    console.log(`  ${name.padEnd(26)} ${v.toFixed(0).padStart(6)} ns${ratio}`);
  }
  return ns;
}

console.log(`edgeroute vs npm peers: ${N_NODES} nodes, ${N_KEYS} distinct keys per shape, median of ${ROUNDS} interleaved rounds (Node ${process.version})`);
console.log("ratios: peer time / edgeroute time (above 1: edgeroute is faster); pickMany in batches of 1,000 keys, ns per key");
const built = Object.fromEntries(Object.entries(peers).map(([n, make]) => [n, make()]));
const routers = Object.fromEntries(others.map((s) => [s, new Router({ strategy: s, nodes: ids.map((id) => ({ id })) })]));
for (const len of [8, 32, 256]) {
  for (const utf8 of [false, true]) {
    const keys = makeKeys(len, utf8);
    const contenders = Object.fromEntries(Object.entries(built).map(([n, p]) => [n, p.pick]));
    contenders["ring pickMany"] = built.ring.pickMany;
    if (len === 32 && !utf8) for (const s of others) contenders[s] = (k) => routers[s].pick(k);
    compare(`pick, ${len}-byte ${utf8 ? "UTF-8" : "ASCII"} keys`, contenders, keys);
  }
}
compare("pickN(key, 3), 32-byte ASCII keys", Object.fromEntries(Object.entries(built).map(([n, p]) => [n, p.pickN])), makeKeys(32, false));

console.log("\nconstruction (ms, median of 9)");
for (const n of [10, 100, 1000]) {
  const ns = Array.from({ length: n }, (_, i) => `node-${i}`);
  const build = {
    "edgeroute ring": () => new Router({ strategy: "ring", nodes: ns.map((id) => ({ id })) }).free(),
    "edgeroute maglev": () => new Router({ strategy: "maglev", nodes: ns.map((id) => ({ id })) }).free(),
    hashring: () => new HashRing(ns),
    "consistent-hash": () => {
      const c = new ConsistentHash();
      for (const id of ns) c.add(id);
      c.get("warm"); // it sorts its points on first use
    },
  };
  const line = Object.entries(build).map(([name, f]) => {
    f();
    const t = [];
    for (let r = 0; r < 9; r++) {
      const s = performance.now();
      f();
      t.push(performance.now() - s);
    }
    return `${name} ${median(t).toFixed(2)}`;
  });
  console.log(`  ${String(n).padStart(4)} nodes: ${line.join(" | ")}`);
}
