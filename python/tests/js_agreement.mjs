// What the npm package answers, for python/tests to compare with the Python package (run by conftest.py):
//
//   node python/tests/js_agreement.mjs fixture OUT.json   keys, configs and the package's picks; snapshots; the
//                                                         bad-input table's codes and messages
//   node python/tests/js_agreement.mjs restore IN.json OUT.json   picks of Routers restored from Python's
//                                                         to_json() snapshots (IN: [{ snapshot, keys }])
//   node python/tests/js_agreement.mjs registry IN.json OUT.json   the JS Registry on a registry Python wrote
//                                                         (IN: { port, name, seed, keys }): load(), picks in Redis
//                                                         and by router(), then one write of its own; with
//                                                         { cluster: [ports] }, through ioredis's Redis.Cluster
//
// The package is pkg/ (make test builds it first), or EDGEROUTE_PKG. Keys are strings, or bytes as { hex }.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const here = import.meta.dirname;
const pkg = process.env.EDGEROUTE_PKG ?? path.join(here, "../../pkg");
const { Router, Registry } = await import(pathToFileURL(path.join(pkg, "node.mjs")).href);

const hex = (u8) => Buffer.from(u8).toString("hex");
const keyOf = (k) => (k === null || k === undefined ? undefined : typeof k === "string" ? k : new Uint8Array(Buffer.from(k.hex, "hex")));

/** A small deterministic generator (keys must be the same on every run). */
function lcg(seed) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

/** 1,000 ASCII, 1,000 UTF-8 (2-, 3- and 4-byte characters) and 1,000 byte keys (invalid UTF-8 among them). */
function makeKeys() {
  const next = lcg(20);
  const keys = [];
  for (let i = 0; i < 1000; i++) keys.push(i % 3 === 0 ? `key-${i}` : i % 3 === 1 ? `/user/${next() % 100000}/profile?x=${i}` : `${next().toString(36)}`);
  const uni = ["é", "ß", "ключ", "東京", "서울", "🚀", "𝄞", "ü", "\u0000", "عربى"];
  for (let i = 0; i < 1000; i++) keys.push(`${uni[i % uni.length]}/${i}/${uni[next() % uni.length]}${i % 7 === 0 ? "" : "x"}`);
  for (let i = 0; i < 1000; i++) {
    const b = new Uint8Array(next() % 41);
    for (let j = 0; j < b.length; j++) b[j] = next() >>> 24;
    keys.push({ hex: hex(b) });
  }
  keys.push("", { hex: "" });
  return keys;
}

const ids = (n) => Array.from({ length: n }, (_, i) => `origin-${i + 1}.example:8080`);
const hostIds = (n) => Array.from({ length: n }, (_, i) => `10.0.0.${i + 1}:11211`);
const weighted = (list, weights) => list.map((id, i) => ({ id, weight: weights[i % weights.length] }));

/** Every strategy and compat profile, with and without their options; `sequence`: picks depend on the order. */
function makeConfigs() {
  const five = weighted(ids(5), [1, 2, 3, 1, 5]);
  const frac = weighted(ids(6), [1, 0.5, 2.25, 1e-3, 3, 7.5]);
  const hosts = weighted(hostIds(5), [1, 2, 3, 1, 5]);
  const secret = "000102030405060708090a0b0c0d0e0f";
  const c = [
    { strategy: "ring", nodes: five },
    { strategy: "ring", nodes: frac, seed: 7, vnodes: 40 },
    { strategy: "ring", nodes: five, secret },
    { strategy: "ring", nodes: five, boundedLoad: true, seed: 3 },
    { strategy: "rendezvous", nodes: frac },
    { strategy: "rendezvous", nodes: five, secret, boundedLoad: 1.5 },
    { strategy: "rendezvous", nodes: frac, compat: "redis", seed: 7 },
    { strategy: "rendezvous", nodes: five, compat: "redis" },
    { strategy: "maglev", nodes: five },
    { strategy: "maglev", nodes: frac, tableSize: 101, seed: 3 },
    { strategy: "maglev", nodes: five, boundedLoad: 2, secret },
    { strategy: "jump", nodes: five },
    { strategy: "jump", nodes: five, secret, seed: 9 },
    { strategy: "hash", nodes: five, seed: 5 },
    { strategy: "ring", compat: "nginx", nodes: hosts },
    { strategy: "hash", compat: "nginx", nodes: hosts },
    { strategy: "ring", compat: "libketama", nodes: weighted(hostIds(4), [100, 300, 150, 50]) },
    { strategy: "ring", compat: "twemproxy", nodes: [...hosts.slice(0, 4), { id: "/run/mc.sock", weight: 2 }, { id: "10.0.1.9:22122", name: "cache-z" }] },
    { strategy: "hash", compat: "twemproxy", nodes: hosts },
    { strategy: "ring", compat: "haproxy", nodes: [...hosts.slice(0, 4), { id: "s9", serverId: 9, weight: 2 }] },
    { strategy: "hash", compat: "haproxy", nodes: hosts },
  ];
  for (const hash of ["one_at_a_time", "crc16", "crc32", "crc32a", "fnv1_64", "fnv1a_64", "fnv1_32", "fnv1a_32", "hsieh", "murmur", "jenkins"]) {
    c.push({ strategy: "ring", compat: "twemproxy", hash, nodes: hosts });
  }
  for (const hash of ["md5", "fnv1a_64", "murmur"]) c.push({ strategy: "hash", compat: "twemproxy", hash, nodes: hosts });
  for (const hash of ["sdbm", "djb2", "wt6", "crc32"]) {
    for (const avalanche of [false, true]) {
      c.push({ strategy: "ring", compat: "haproxy", hash, avalanche, nodes: hosts });
      c.push({ strategy: "hash", compat: "haproxy", hash, avalanche, nodes: hosts });
    }
  }
  const seq = [
    { strategy: "weighted-round-robin", nodes: five },
    { strategy: "round-robin", nodes: five },
    { strategy: "random", nodes: frac, seed: 11 },
    { strategy: "least-latency", nodes: five, seed: 5, decayMs: 2000 },
    { strategy: "least-outstanding", nodes: frac, seed: 3 },
  ];
  return [...c.map((options) => ({ options, sequence: false })), ...seq.map((options) => ({ options, sequence: true }))];
}

/** The same change on every config: remove the second node, add one, reweight the first (whole weights). */
function churn(options) {
  const [first, second] = options.nodes;
  const twemproxyish = options.compat === "twemproxy" || options.compat === "libketama";
  return [
    { op: "remove", id: second.id },
    { op: "add", node: { id: twemproxyish ? "10.0.2.1:11211" : "added-node", weight: 2 } },
    { op: "setWeight", id: first.id, weight: 4 },
  ];
}

function apply(r, ops) {
  for (const o of ops) {
    if (o.op === "remove") r.remove(o.id);
    else if (o.op === "add") r.add(o.node);
    else r.setWeight(o.id, o.weight);
  }
}

function fixture(outPath) {
  const keys = makeKeys();
  const ks = keys.map(keyOf);
  const configs = makeConfigs().map(({ options, sequence }) => {
    const r = new Router(options);
    const picks = ks.map((k) => r.pick(k) ?? null);
    const many = r.pickMany(ks.slice(0, 500)).map((x) => x ?? null);
    const pickN = sequence ? [] : ks.slice(0, 300).map((k, i) => r.pickN(k, 1 + (i % 4)));
    const ops = churn(options);
    apply(r, ops);
    const after = ks.slice(0, 1000).map((k) => r.pick(k) ?? null);
    const snapshot = r.toJSON();
    const restored = Router.fromJSON(JSON.parse(JSON.stringify(snapshot)));
    const afterRestore = ks.slice(0, 500).map((k) => restored.pick(k) ?? null);
    return { options, sequence, picks, many, pickN, ops, after, snapshot, afterRestore };
  });
  // Health in a snapshot: a node marked down (for good, and for a while) and one ejected by failures.
  const h = new Router({ strategy: "rendezvous", nodes: weighted(ids(5), [1, 2, 3, 1, 5]), seed: 2, health: { consecutiveFailures: 2 } });
  h.markDown("origin-1.example:8080");
  h.markDown("origin-2.example:8080", 600000);
  h.report("origin-3.example:8080", { ok: false, latencyMs: 5 });
  h.report("origin-3.example:8080", { ok: false });
  const health = { snapshot: h.toJSON(), picks: ks.slice(0, 500).map((k) => h.pick(k) ?? null), stats: h.stats().map((s) => s.state) };
  // Inspection: a ring's points and keys' positions, as floats.
  const ring = new Router({ strategy: "ring", nodes: weighted(ids(3), [1, 2, 1]), seed: 5, vnodes: 20 });
  const rp = ring.ringPoints();
  const inspect = { points: { positions: Array.from(rp.positions), owners: rp.owners }, positions: ks.slice(0, 300).map((k) => ring.keyPosition(k)) };
  const badInputs = evaluateBadInputs(JSON.parse(fs.readFileSync(path.join(here, "bad_inputs.json"), "utf8")));
  const zones = zoneFixture(keys.slice(0, 600));
  fs.writeFileSync(outPath, JSON.stringify({ keys, configs, health, inspect, badInputs, zones }));
}

/**
 * Zones and priority levels (docs/traffic.md): zones a, b, c of four nodes each, a node in no zone, and two
 * backups (priority 1), under every strategy; then `ZONE_STEPS` in order, each pick with a zone (or none, or one
 * no node is in), some nodes marked down between them. Keyless strategies are seeded, so their sequence is
 * reproducible: Python replays the same steps and must get the same ids, step for step.
 */
function zoneFixture(keys) {
  const nodes = [];
  for (const z of ["a", "b", "c"]) for (let i = 0; i < 4; i++) nodes.push({ id: `${z}${i}`, zone: z, weight: 1 + (i % 2) });
  nodes.push({ id: "n0" }, { id: "x0", zone: "a", priority: 1 }, { id: "x1", priority: 1 });
  const configs = [
    { strategy: "ring", seed: 7 },
    { strategy: "ring", vnodes: 40, secret: "000102030405060708090a0b0c0d0e0f" },
    { strategy: "rendezvous", seed: 2 },
    { strategy: "maglev", tableSize: 251, seed: 3 },
    { strategy: "jump", seed: 9 },
    { strategy: "hash", seed: 5 },
    { strategy: "weighted-round-robin" },
    { strategy: "round-robin" },
    { strategy: "random", seed: 11 },
    { strategy: "random", seed: 4, slowStartMs: 600000, slowStartMinPercent: 20 },
    { strategy: "least-latency", seed: 5, decayMs: 2000 },
    { strategy: "least-outstanding", seed: 3 },
  ].map((o) => ({ ...o, nodes }));
  const ks = keys.map(keyOf);
  return configs.map((options) => {
    const r = new Router(options);
    const keyless = KEYLESS.has(options.strategy);
    const results = ZONE_STEPS.map((step) => zoneStep(r, step, ks, keyless));
    const snapshot = r.toJSON();
    const restored = Router.fromJSON(JSON.parse(JSON.stringify(snapshot)));
    const afterRestore = restored.pickMany(ks, { zone: "a" }).map((x) => x ?? null);
    return { options, keys, steps: ZONE_STEPS, results, snapshot, afterRestore };
  });
}

const KEYLESS = new Set(["weighted-round-robin", "round-robin", "random", "least-latency", "least-outstanding"]);

/** `pickNoKey` runs for the keyless strategies only (a keyed one refuses a pick without a key). */
const ZONE_STEPS = [
  { op: "pick", zone: "a" },
  { op: "pick", zone: "mars" },
  { op: "pick" },
  { op: "pickMany", zone: "b" },
  { op: "pickN", zone: "a", n: 3, count: 100 },
  { op: "markDown", ids: ["a0", "a1"] },
  { op: "pick", zone: "a" },
  { op: "pickNoKey", zone: "a", count: 100 },
  { op: "pickN", zone: "a", n: 5, count: 100 },
  { op: "acquire", zone: "b", count: 50 },
  { op: "pickMany", zone: "a" },
  { op: "markDown", ids: ["c0", "c1", "c2", "c3"] },
  { op: "pick", zone: "c" },
  { op: "pickN", zone: "c", n: 16, count: 50 },
  { op: "markDown", ids: ["a2", "a3", "b0", "b1", "b2"] },
  { op: "pickMany", zone: "a" },
  { op: "pickMany", zone: "b" },
  { op: "pickMany" },
];

function zoneStep(r, step, ks, keyless) {
  const o = step.zone === undefined ? undefined : { zone: step.zone };
  const ks2 = step.count === undefined ? ks : ks.slice(0, step.count);
  switch (step.op) {
    case "pick":
      return ks2.map((k) => r.pick(k, o) ?? null);
    case "pickNoKey":
      return keyless ? ks2.map(() => r.pick(undefined, o) ?? null) : null;
    case "pickMany":
      return r.pickMany(ks2, o).map((x) => x ?? null);
    case "pickN":
      return ks2.map((k) => r.pickN(k, step.n, o));
    case "acquire":
      // Held: the in-flight counts weigh on least-outstanding's later picks.
      return ks2.map((k) => r.acquire(k, o)?.id ?? null);
    case "markDown":
      for (const id of step.ids) r.markDown(id);
      return null;
    default:
      throw new Error(`unknown step ${step.op}`);
  }
}

/** JSON cannot hold NaN, ±Infinity or -0: the table writes them as { "$": "NaN" } and so on. */
function decode(v) {
  if (Array.isArray(v)) return v.map(decode);
  if (v !== null && typeof v === "object") {
    if (typeof v.$ === "string" && Object.keys(v).length === 1) return { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity, "-0": -0 }[v.$];
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
  }
  return v;
}

const SHARED = { strategy: "ring", nodes: [{ id: "a", weight: 2 }, { id: "b" }, { id: "c" }], seed: 7 };
const CALLS = {
  pick: (r, k, o) => r.pick(keyOf(k), o),
  pickN: (r, k, n, o) => r.pickN(keyOf(k), n, o),
  pickMany: (r, ks, o) => r.pickMany(ks.map(keyOf), o),
  add: (r, node) => r.add(node),
  setNodes: (r, nodes) => r.setNodes(nodes),
  remove: (r, id) => r.remove(id),
  setWeight: (r, id, w) => r.setWeight(id, w),
  report: (r, id, o) => r.report(id, o),
  markDown: (r, id, ms) => r.markDown(id, ms ?? undefined),
  markUp: (r, id) => r.markUp(id),
  begin: (r, id) => r.begin(id),
  end: (r, id, o) => r.end(id, o),
};

/** Each case: `options` (a new Router) or the shared one, then `calls`; records the error that ends it. */
function evaluateBadInputs(cases) {
  const out = {};
  for (const c of cases) {
    try {
      if (c.fromJSON !== undefined) {
        Router.fromJSON(decode(c.fromJSON));
      } else {
        const r = new Router(c.options === undefined ? SHARED : decode(c.options));
        for (const [name, ...args] of c.calls ?? []) CALLS[name](r, ...decode(args));
      }
      out[c.name] = { code: null, message: null };
    } catch (e) {
      out[c.name] = { code: e.code ?? null, message: e.message };
    }
  }
  return out;
}

function restore(inPath, outPath) {
  const jobs = JSON.parse(fs.readFileSync(inPath, "utf8"));
  const out = jobs.map(({ snapshot, keys }) => {
    const r = Router.fromJSON(snapshot);
    return { picks: keys.map((k) => r.pick(keyOf(k)) ?? null), snapshot: r.toJSON() };
  });
  fs.writeFileSync(outPath, JSON.stringify(out));
}

async function registry(inPath, outPath) {
  const { port, name, seed, keys, cluster } = JSON.parse(fs.readFileSync(inPath, "utf8"));
  let conn;
  if (cluster) {
    const { default: Redis } = await import("ioredis");
    const c = new Redis.Cluster(cluster.map((p) => ({ host: "127.0.0.1", port: p })));
    conn = { command: (...a) => c.call(...a), close: () => c.disconnect() };
  } else {
    const { connectResp } = await import("../../test-js/redis/resp.mjs");
    conn = await connectResp({ port });
  }
  try {
    const reg = new Registry(conn.command, { name, seed });
    const loaded = await reg.load();
    const router = await reg.router();
    const ks = keys.map(keyOf);
    const inRedis = [];
    for (const k of ks) inRedis.push((await reg.pick(k)) ?? null);
    const pickN = [];
    for (const k of ks.slice(0, 50)) pickN.push(await reg.pickN(k, 3));
    const byRouter = ks.map((k) => router.pick(k) ?? null);
    const version = await reg.add({ id: "added-by-js", weight: 2.5, meta: { zone: "js" } });
    fs.writeFileSync(outPath, JSON.stringify({ loaded, inRedis, pickN, byRouter, version }));
  } finally {
    conn.close();
  }
}

const [mode, ...args] = process.argv.slice(2);
if (mode === "fixture") fixture(args[0]);
else if (mode === "restore") restore(args[0], args[1]);
else if (mode === "registry") await registry(args[0], args[1]);
else throw new Error("usage: js_agreement.mjs fixture OUT | restore IN OUT | registry IN OUT");
