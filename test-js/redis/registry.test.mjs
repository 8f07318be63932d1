// The Redis registry and its Lua scripts against a real redis-server (and a 3-master Redis Cluster), through
// the packed package: round trips, concurrent writers, bit-for-bit agreement of the Lua keyed selection with
// the wasm Router, weighted random shares, and bad registry contents.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import Redis from "ioredis";
import { createClient } from "redis";
import { Router, Registry, registryScripts, EdgerouteError } from "edgeroute";
import { startRedis, startCluster } from "../shared/redis-server.mjs";

let server;
let redis;
const clients = [];
const connect = () => {
  const c = new Redis({ port: server.port, host: "127.0.0.1", maxRetriesPerRequest: 1 });
  clients.push(c);
  return c;
};
const commandOf = (c) => (...a) => c.call(...a);

before(async () => {
  server = await startRedis();
  redis = connect();
});
after(async () => {
  for (const c of clients) c.disconnect();
  await server.stop();
});

/** Keys of every kind the edge sees: ASCII paths, punctuation, UTF-8 (2-, 3- and 4-byte), empty, long. */
function keys(n, tag) {
  const shapes = [
    (i) => `/${tag}/user/${i}`,
    (i) => `${tag}:${i}?q=a&b=c#frag;,'"\\`,
    (i) => `ünïcödé-${tag}-${i}-東京-🎉`,
    (i) => `${i}`,
    (i) => `${tag}-${"x".repeat(i % 300)}`,
  ];
  const out = [""];
  for (let i = 0; out.length < n; i++) out.push(shapes[i % shapes.length](i));
  return out;
}

const sameArray = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

async function agreement(reg, router, ks, n = 3) {
  const viaRedis = await Promise.all(ks.map((k) => reg.pickN(k, n)));
  const single = await Promise.all(ks.map((k) => reg.pick(k)));
  let mismatches = 0;
  ks.forEach((k, i) => {
    const want = router.pickN(k, n);
    if (!sameArray(viaRedis[i], want) || single[i] !== router.pick(k)) {
      if (mismatches++ < 5) console.log("mismatch", JSON.stringify(k), viaRedis[i], want, single[i]);
    }
  });
  return mismatches;
}

test("registry round trips: layout, metadata, versions, marks and conditional writes", async () => {
  const reg = new Registry(commandOf(redis), { name: "rt", prefix: "test" });
  assert.deepEqual({ ...reg.keys }, {
    nodes: "test:{rt}:nodes",
    meta: "test:{rt}:meta",
    version: "test:{rt}:version",
    stamp: "test:{rt}:stamp",
    downPrefix: "test:{rt}:down:",
  });
  await assert.rejects(reg.load(), { code: "ERR_REGISTRY_MISSING" });
  assert.equal(await reg.version(), 0);
  assert.deepEqual(await reg.revision(), { version: 0, stamp: "" });
  assert.equal(await reg.add({ id: "a", weight: 2, meta: { url: "http://127.0.0.1:1", zone: "eu" } }), 1);
  assert.equal(await reg.add({ id: "b€", weight: 1 / 3 }), 2);
  assert.equal(await reg.add({ id: "c" }), 3);
  // The documented layout, read with plain commands.
  assert.equal(await redis.zscore("test:{rt}:nodes", "a"), "2");
  assert.equal(Number(await redis.zscore("test:{rt}:nodes", "b€")), 1 / 3);
  assert.deepEqual(JSON.parse(await redis.hget("test:{rt}:meta", "a")), { url: "http://127.0.0.1:1", zone: "eu" });
  assert.equal(await redis.get("test:{rt}:version"), "3");
  const stamp = await redis.get("test:{rt}:stamp");
  assert.match(stamp, /^[0-9a-f]{32}$/, "every write leaves a fresh 128-bit stamp");
  assert.deepEqual(await reg.revision(), { version: 3, stamp });
  let snap = await reg.load();
  assert.deepEqual(snap, {
    version: 3,
    stamp,
    nodes: [
      { id: "b€", weight: 1 / 3 },
      { id: "c", weight: 1 },
      { id: "a", weight: 2, meta: { url: "http://127.0.0.1:1", zone: "eu" } },
    ],
    down: [],
  });
  assert.equal(await reg.setWeight("c", 5), 4);
  assert.notEqual(await redis.get("test:{rt}:stamp"), stamp, "each write replaces the stamp");
  assert.equal(await reg.markDown("a", 60_000), 5);
  assert.equal(await reg.markDown("c"), 6);
  snap = await reg.load();
  assert.equal(snap.nodes.find((n) => n.id === "c").weight, 5);
  const a = snap.down.find((d) => d.id === "a");
  assert.ok(a.forMs > 59_000 && a.forMs <= 60_000, `a is down for ${a.forMs} ms`);
  assert.deepEqual(snap.down.find((d) => d.id === "c"), { id: "c", forMs: null });
  assert.ok((await redis.pttl("test:{rt}:down:a")) > 59_000);
  assert.equal(await reg.markUp("c"), 7);
  assert.equal(await reg.remove("a"), 8);
  assert.equal(await redis.hget("test:{rt}:meta", "a"), null, "remove drops the metadata");
  assert.equal(await redis.exists("test:{rt}:down:a"), 0, "remove drops the health key");
  // Conditional writes: the version (and stamp) read must still be current.
  await assert.rejects(reg.setWeight("c", 2, { ifVersion: 7 }), { code: "ERR_REGISTRY_CONFLICT" });
  const read = await reg.load();
  await assert.rejects(reg.setWeight("c", 2, { ifStamp: stamp }), { code: "ERR_REGISTRY_CONFLICT" });
  assert.equal(await reg.setWeight("c", 2, { ifVersion: 8, ifStamp: read.stamp }), 9);
  // Errors from the scripts keep their code and lose Redis's location suffix.
  await assert.rejects(reg.add({ id: "c" }), (e) => e instanceof EdgerouteError && e.code === "ERR_DUPLICATE_ID" && !/user_script/.test(e.message));
  await assert.rejects(reg.remove("zz"), { code: "ERR_UNKNOWN_NODE" });
  await assert.rejects(reg.setWeight("zz", 1), { code: "ERR_UNKNOWN_NODE" });
  assert.equal(await reg.version(), 9, "failed writes change nothing");
  // A Router follows the registry with refresh(): one MGET (version and stamp) when nothing changed.
  const router = await reg.router();
  assert.deepEqual(router.nodes(), [{ id: "b€", weight: 1 / 3 }, { id: "c", weight: 2 }]);
  const sent = [];
  const counted = new Registry((...a) => (sent.push(a), redis.call(...a)), { name: "rt", prefix: "test" });
  const mine = await counted.router();
  sent.length = 0;
  assert.equal(await counted.refresh(mine), false);
  assert.deepEqual(sent, [["MGET", "test:{rt}:version", "test:{rt}:stamp"]], "one round trip when nothing changed");
  mine.free();
  assert.equal(await reg.refresh(router), false);
  await reg.add({ id: "d", weight: 4 });
  await reg.markDown("b€", 30_000);
  assert.equal(await reg.refresh(router), true);
  assert.deepEqual(router.nodes().map((n) => n.id).sort(), ["b€", "c", "d"]);
  assert.equal(router.stats().find((s) => s.id === "b€").state, "down");
  await reg.markUp("b€");
  await reg.remove("c");
  assert.equal(await reg.refresh(router), true);
  assert.deepEqual(router.nodes(), [{ id: "b€", weight: 1 / 3 }, { id: "d", weight: 4 }]);
  assert.equal(router.stats().find((s) => s.id === "b€").state, "healthy");
  router.free();
});

test("concurrent writers lose no update", async () => {
  const writers = Array.from({ length: 8 }, () => new Registry(commandOf(connect()), { name: "cw" }));
  // 8 writers add 40 nodes each, all at once.
  await Promise.all(writers.map((w, i) => Promise.all(Array.from({ length: 40 }, (_, j) => w.add({ id: `w${i}-n${j}` })))));
  let snap = await writers[0].load();
  assert.equal(snap.nodes.length, 320);
  assert.equal(snap.version, 320);
  // Read-modify-write with ifVersion: each writer adds 1 to node w0-n0's weight 25 times, retrying on conflict.
  let conflicts = 0;
  await Promise.all(writers.map(async (w) => {
    for (let done = 0; done < 25;) {
      const s = await w.load();
      const cur = s.nodes.find((n) => n.id === "w0-n0").weight;
      try {
        await w.setWeight("w0-n0", cur + 1, { ifVersion: s.version });
        done++;
      } catch (e) {
        if (e.code !== "ERR_REGISTRY_CONFLICT") throw e;
        conflicts++;
      }
    }
  }));
  snap = await writers[0].load();
  assert.equal(snap.nodes.find((n) => n.id === "w0-n0").weight, 1 + 8 * 25);
  assert.equal(snap.version, 320 + 200);
  console.log(`concurrent writers: 320 adds + 200 conditional increments, ${conflicts} conflicts retried, none lost`);
});

test("Lua keyed selection agrees with the wasm Router on 13,000 keys across weights, adds, removes and marks", async () => {
  const reg = new Registry(commandOf(redis), { name: "agree", seed: 977 });
  const weights = [1, 1, 1, 2.5, 1 / 3, 7, 0.001, 1000, 3, 1];
  for (let i = 0; i < 10; i++) await reg.add({ id: i === 4 ? "origin-東京" : `origin-${i}.example:80`, weight: weights[i] });
  const router = await reg.router();
  const steps = [
    ["10 nodes, skewed and fractional weights", async () => {}],
    ["one added", () => reg.add({ id: "late-joiner", weight: 2 })],
    ["two removed", async () => { await reg.remove("origin-0.example:80"); await reg.remove("origin-東京"); }],
    ["one reweighted", () => reg.setWeight("origin-7.example:80", 0.5)],
    ["one marked down", () => reg.markDown("origin-5.example:80", 120_000)],
  ];
  let total = 0;
  for (const [name, change] of steps) {
    await change();
    await reg.refresh(router);
    const ks = keys(2500, name.replace(/\W/g, ""));
    const bad = await agreement(reg, router, ks);
    assert.equal(bad, 0, `${name}: ${bad} of ${ks.length} keys differ`);
    total += ks.length;
  }
  // Arbitrary bytes, not UTF-8 at all, as Uint8Array keys.
  const bytes = Array.from({ length: 500 }, (_, i) => Buffer.from(Array.from({ length: i % 40 }, (_, j) => (i * 31 + j * 17) & 255)));
  assert.equal(await agreement(reg, router, bytes), 0);
  total += bytes.length;
  console.log(`Lua/wasm agreement: ${total} keys, pick and pickN(3), 0 differences`);
  router.free();
});

test("the Lua scripts reproduce the golden vectors of compat redis", async () => {
  const golden = JSON.parse(readFileSync(new URL("../golden/vectors.json", import.meta.url), "utf8"));
  const c = golden.cases.find((x) => x.name === "rendezvous-redis-compat-churn");
  assert.ok(c, "golden case present");
  const reg = new Registry(commandOf(redis), { name: "golden", seed: c.options.seed });
  for (const n of c.options.nodes) await reg.add({ id: n.id, weight: n.weight ?? 1 });
  for (const op of c.ops) {
    if (op.op === "add") await reg.add({ id: op.node.id, weight: op.node.weight ?? 1 });
    else if (op.op === "remove") await reg.remove(op.id);
    else await reg.setWeight(op.id, op.weight);
  }
  const key = (k) => (typeof k === "string" ? k : Buffer.from(k.hex, "hex"));
  for (const [k, id] of c.picks) assert.equal(await reg.pick(key(k)), id, `key ${JSON.stringify(k)}`);
  for (const [k, n, ids] of c.pickN) assert.deepEqual(await reg.pickN(key(k), n), ids);
});

test("weighted random selection: shares within 5 standard deviations, edges exact", async () => {
  const reg = new Registry(commandOf(redis), { name: "rand" });
  const w = { a: 1, b: 2, c: 3, d: 4 };
  for (const [id, weight] of Object.entries(w)) await reg.add({ id, weight });
  // ZRANGE order: by weight, then id. r = 0 is the first; the largest double below 1 is the last.
  assert.equal(await reg.pickRandom(0), "a");
  assert.equal(await reg.pickRandom(0.0999999), "a");
  assert.equal(await reg.pickRandom(0.1), "b");
  assert.equal(await reg.pickRandom(1 - 2 ** -53), "d");
  const N = 20_000;
  const counts = { a: 0, b: 0, c: 0, d: 0 };
  const got = await Promise.all(Array.from({ length: N }, () => reg.pickRandom()));
  for (const id of got) counts[id]++;
  for (const [id, weight] of Object.entries(w)) {
    const p = weight / 10;
    const sd = Math.sqrt(N * p * (1 - p));
    assert.ok(Math.abs(counts[id] - N * p) < 5 * sd, `${id}: ${counts[id]} of ${N}, expected ${N * p} ± ${5 * sd}`);
  }
  await reg.markDown("d", 60_000);
  const without = await Promise.all(Array.from({ length: 500 }, () => reg.pickRandom()));
  assert.ok(!without.includes("d"), "a node marked down is never drawn");
  for (const id of Object.keys(w)) await reg.markDown(id, 60_000);
  assert.equal(await reg.pickRandom(), undefined);
  assert.deepEqual(await reg.pickN("k", 2), []);
  console.log(`weighted random: ${JSON.stringify(counts)} of ${N} for weights 1:2:3:4`);
});

test("bad registry contents and bad arguments give clear coded errors", async () => {
  const reg = (name) => new Registry(commandOf(redis), { name });
  const k = (name, s) => `edgeroute:{${name}}:${s}`;
  const expectAll = async (r, code, pattern) => {
    for (const p of [r.load(), r.pick("x"), r.pickRandom(0.5)]) {
      await assert.rejects(p, (e) => e instanceof EdgerouteError && e.code === code && pattern.test(e.message));
    }
  };
  // A missing registry.
  await expectAll(reg("nothing"), "ERR_REGISTRY_MISSING", /no registry at edgeroute:\{nothing\}:nodes/);
  // The nodes key holds the wrong type.
  await redis.set(k("wt", "nodes"), "a,b,c");
  await expectAll(reg("wt"), "ERR_REGISTRY_WRONG_TYPE", /must be a sorted set/);
  // Negative, zero, infinite and over-large weights.
  for (const [name, score] of [["neg", -1], ["zero", 0], ["inf", "+inf"], ["huge", 2e6]]) {
    await redis.zadd(k(name, "nodes"), 1, "ok", score, "bad");
    await expectAll(reg(name), "ERR_REGISTRY_BAD_WEIGHT", /"bad" the weight .*weights must be numbers from 1e-6 to 1e6/);
  }
  // A score that is not a number cannot even be stored: Redis refuses it.
  await assert.rejects(redis.zadd(k("nan", "nodes"), "abc", "x"), /not a valid float/);
  // A command function that hands back a non-numeric weight (a broken adapter) is caught in JS.
  const lying = new Registry(async (...a) => {
    const reply = await redis.call(...a);
    if (Array.isArray(reply) && Array.isArray(reply[2])) reply[2] = reply[2].map((row) => [row[0], "heavy", row[2], row[3]]);
    return reply;
  }, { name: "rt", prefix: "test" });
  await assert.rejects(lying.load(), { code: "ERR_REGISTRY_BAD_WEIGHT" });
  // Members that are not node ids: invalid UTF-8, over-long.
  await redis.zadd(k("badid", "nodes"), 1, Buffer.from([0x61, 0xff, 0x62]));
  await expectAll(reg("badid"), "ERR_REGISTRY_BAD_ID", /not a node id/);
  await redis.zadd(k("longid", "nodes"), 1, "x".repeat(257));
  await expectAll(reg("longid"), "ERR_REGISTRY_BAD_ID", /1 to 256 bytes/);
  // Metadata that is not JSON, or has unknown fields; a version that is not a number.
  await redis.zadd(k("meta", "nodes"), 1, "a");
  await redis.hset(k("meta", "meta"), "a", "{url:");
  await assert.rejects(reg("meta").load(), { code: "ERR_REGISTRY_BAD_META", message: /not JSON/ });
  await redis.hset(k("meta", "meta"), "a", JSON.stringify({ url: "http://x", weight: 3 }));
  await assert.rejects(reg("meta").load(), { code: "ERR_REGISTRY_BAD_META", message: /unknown field "weight"/ });
  await redis.set(k("meta", "version"), "seven");
  await assert.rejects(reg("meta").load(), { code: "ERR_REGISTRY_BAD_VERSION" });
  await assert.rejects(reg("meta").version(), { code: "ERR_REGISTRY_BAD_VERSION" });
  // Arguments are checked before anything is sent.
  const r = reg("args");
  const cases = [
    [() => new Registry("redis", { name: "x" }), "ERR_INVALID_OPTION"],
    [() => new Registry(commandOf(redis), { name: "a{b}" }), "ERR_INVALID_OPTION"],
    [() => new Registry(commandOf(redis), { name: "x", ttl: 3 }), "ERR_UNKNOWN_OPTION"],
    [() => new Registry(commandOf(redis), { name: "x", seed: -1 }), "ERR_INVALID_OPTION"],
    [() => new Registry(commandOf(redis), null), "ERR_INVALID_OPTIONS"],
    [() => r.add({ id: "a", weight: NaN }), "ERR_INVALID_WEIGHT"],
    [() => r.add({ id: "a", weight: -2 }), "ERR_INVALID_WEIGHT"],
    [() => r.add({ id: "", weight: 1 }), "ERR_INVALID_ID"],
    [() => r.add({ id: "a\ud800" }), "ERR_INVALID_ID"],
    [() => r.add({ id: "a", wieght: 1 }), "ERR_UNKNOWN_FIELD"],
    [() => r.add({ id: "a", meta: { url: 1 } }), "ERR_REGISTRY_BAD_META"],
    [() => r.add({ id: "a", meta: { region: "x" } }), "ERR_REGISTRY_BAD_META"],
    [() => r.add({ id: "a" }, { ifversion: 1 }), "ERR_UNKNOWN_OPTION"],
    [() => r.markDown("a", 0), "ERR_INVALID_OPTION"],
    [() => r.markDown("a", 1.5), "ERR_INVALID_OPTION"],
    [() => r.pickN("k", 0), "ERR_INVALID_COUNT"],
    [() => r.pick(42), "ERR_INVALID_KEY"],
    [() => r.pick("\udc00"), "ERR_INVALID_KEY"],
    [() => r.pickRandom(1), "ERR_INVALID_OPTION"],
    [() => r.pickRandom(NaN), "ERR_INVALID_OPTION"],
    [() => r.router({ nodes: [] }), "ERR_INVALID_OPTION"],
    [() => r.router({ seed: 9 }), "ERR_INVALID_OPTION"],
    [() => r.refresh(new Router({ strategy: "ring", nodes: [{ id: "a" }] })), "ERR_INVALID_OPTION"],
  ];
  for (const [f, code] of cases) {
    await assert.rejects(async () => f(), (e) => e instanceof EdgerouteError && e.code === code && e.message.startsWith("Registry: "), String(f));
  }
  console.log(`bad registry contents: 11 kinds refused; ${cases.length} bad arguments refused`);
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const idsOf = (router) => router.nodes().map((n) => n.id).sort();
/** MAX_NODES of lua/lib.lua, as every shipped script carries it. */
const MAX_NODES = Number(/^local MAX_NODES = (\d+)$/m.exec(registryScripts.pick.source)?.[1]);

/** Writes `n` nodes into a registry's sorted set by hand (a pool written without the scripts). */
async function fillByHand(client, key, n, prefix = "node-") {
  for (let i = 0; i < n; i += 8192) {
    const args = [];
    for (let j = i; j < Math.min(n, i + 8192); j++) args.push(1 + (j % 7), `${prefix}${j}`);
    await client.zadd(key, ...args);
  }
}

/** Resolves to the rejection of `p` (or fails the test if it resolves). */
async function rejection(p, what) {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail(`${what} resolved; it should have been refused`);
}

test("a registry re-created after lost data is never invisible: restart without persistence, FLUSHALL, deleted keys", async () => {
  const own = await startRedis(); // --save "" --appendonly no: a restart loses everything
  const open = () => new Redis({ port: own.port, host: "127.0.0.1", maxRetriesPerRequest: 1 });
  let client = open();
  try {
    // The command function of an application whose client follows the server (here: a new connection).
    const reg = new Registry((...a) => client.call(...a), { name: "lost" });
    for (const id of ["a", "b", "c"]) await reg.add({ id });
    const router = await reg.router();
    const before = await reg.load();
    assert.equal(before.version, 3);
    client.disconnect();
    await own.restart();
    client = open();
    assert.equal(await client.dbsize(), 0, "the restarted server kept nothing");
    for (const id of ["x", "y", "z"]) await reg.add({ id });
    assert.equal(await reg.version(), 3, "the version repeats");
    assert.equal(await reg.refresh(router), true, "refresh sees the re-created registry");
    assert.deepEqual(idsOf(router), ["x", "y", "z"]);
    assert.equal(await agreement(reg, router, keys(300, "lost")), 0, "the Router picks what pick.lua picks");
    assert.equal(await reg.refresh(router), false);
    const after = await reg.revision();
    assert.notEqual(after.stamp, before.stamp, "the stamp does not repeat");
    // A read-modify-write based on the lost registry is refused: the stamp tells the new one apart.
    const stale = { ifVersion: before.version, ifStamp: before.stamp };
    await assert.rejects(reg.setWeight("x", 2, stale), { code: "ERR_REGISTRY_CONFLICT", message: /re-created/ });
    assert.equal(await reg.setWeight("x", 2, { ifVersion: after.version, ifStamp: after.stamp }), 4);
    // FLUSHALL: refresh fails as pick does (no registry) rather than keep serving the old pool in silence...
    await client.flushall();
    await assert.rejects(reg.refresh(router), { code: "ERR_REGISTRY_MISSING" });
    await assert.rejects(reg.pick("k"), { code: "ERR_REGISTRY_MISSING" });
    // ...and a registry written again from scratch, to the same version as before, is picked up.
    for (const id of ["p", "q", "r", "s"]) await reg.add({ id });
    assert.equal(await reg.refresh(router), true);
    assert.deepEqual(idsOf(router), ["p", "q", "r", "s"]);
    // Keys deleted by hand (the stamp left behind) and re-created: the same version 4 again, other weights.
    await client.del(reg.keys.nodes, reg.keys.meta, reg.keys.version);
    for (const id of ["p", "q", "r", "s"]) await reg.add({ id, weight: 3 });
    assert.equal(await reg.version(), 4);
    assert.equal(await reg.refresh(router), true);
    assert.deepEqual(router.nodes().map((n) => n.weight), [3, 3, 3, 3]);
    assert.equal(await agreement(reg, router, keys(300, "recreated")), 0);
    router.free();
  } finally {
    client.disconnect();
    await own.stop();
  }
});

test("a failover to a replica that lost writes is noticed, though the version climbs back to the same number", async () => {
  const primary = await startRedis();
  const replica = await startRedis();
  const p = new Redis({ port: primary.port, host: "127.0.0.1", maxRetriesPerRequest: 1 });
  const r = new Redis({ port: replica.port, host: "127.0.0.1", maxRetriesPerRequest: 1 });
  try {
    await p.config("SET", "repl-diskless-sync-delay", "0");
    await r.call("REPLICAOF", "127.0.0.1", String(primary.port));
    for (let i = 0; !/master_link_status:up/.test(await r.info("replication")); i++) {
      assert.ok(i < 400, "the replica did not sync within 20 s");
      await sleep(50);
    }
    let current = p;
    const reg = new Registry((...a) => current.call(...a), { name: "failover" });
    for (const id of ["a", "b", "c"]) await reg.add({ id });
    assert.equal(await p.call("WAIT", "1", "5000"), 1, "the replica has versions 1 to 3");
    // The link breaks (as under replication lag at the moment the primary fails); two more writes land on the
    // primary only, and a Router reads them.
    await r.call("REPLICAOF", "NO", "ONE");
    await reg.add({ id: "d" });
    await reg.add({ id: "e" });
    const router = await reg.router();
    assert.equal((await reg.load()).version, 5);
    // The primary dies; clients fail over to the replica, which never saw d and e, and a writer adds two other
    // nodes there: version 5 again, with other contents.
    p.disconnect();
    await primary.stop();
    current = r;
    assert.equal(await reg.version(), 3);
    await reg.add({ id: "f" });
    await reg.add({ id: "g" });
    assert.equal(await reg.version(), 5);
    assert.equal(await reg.refresh(router), true, "refresh sees the registry changed under the same version");
    assert.deepEqual(idsOf(router), ["a", "b", "c", "f", "g"]);
    assert.equal(await agreement(reg, router, keys(300, "failover")), 0);
    router.free();
  } finally {
    p.disconnect();
    r.disconnect();
    await primary.stop().catch(() => {});
    await replica.stop();
  }
});

test("one version syntax in JS and Lua; every Redis error reaches the caller as a coded EdgerouteError", async () => {
  const reg = new Registry(commandOf(redis), { name: "ver" });
  await reg.add({ id: "a" });
  const router = await reg.router();
  const uses = {
    load: () => reg.load(),
    version: () => reg.version(),
    revision: () => reg.revision(),
    refresh: () => reg.refresh(router),
    add: () => reg.add({ id: "b" }),
    markDown: () => reg.markDown("a", 1000),
    "router()": () => reg.router(),
  };
  // Not canonical decimal integers from 0 to 2^53 - 1: refused by every reader and writer alike (INCR itself
  // would take "-3", and Lua's tonumber " 7", "1.5" and "1e3").
  for (const bad of [" 7", "1.5", "1e3", "-3", "7 ", "+7", "007", "0x10", "", "abc", "9007199254740992", "1".repeat(30)]) {
    await redis.set(reg.keys.version, bad);
    for (const [what, use] of Object.entries(uses)) {
      const e = await rejection(use(), `${what} with the version ${JSON.stringify(bad)}`);
      assert.ok(e instanceof EdgerouteError && e.code === "ERR_REGISTRY_BAD_VERSION", `${what} with the version ${JSON.stringify(bad)}: ${e}`);
      assert.match(e.message, /not a version \(a decimal integer from 0 to 2\^53-1/, `${what}: ${e.message}`);
    }
  }
  // The largest version reads fine, and no write can pass it.
  await redis.set(reg.keys.version, "9007199254740991");
  assert.equal(await reg.version(), 9007199254740991);
  assert.equal((await reg.load()).version, 9007199254740991);
  await assert.rejects(reg.add({ id: "b" }), { code: "ERR_REGISTRY_BAD_VERSION", message: /2\^53-1, the last version/ });
  await redis.set(reg.keys.version, "0");
  assert.equal(await reg.add({ id: "b" }), 1);
  // A stamp that is not one.
  await redis.set(reg.keys.stamp, "not a stamp");
  await assert.rejects(reg.revision(), { code: "ERR_REGISTRY_BAD_VERSION", message: /not a stamp/ });
  await assert.rejects(reg.load(), { code: "ERR_REGISTRY_BAD_VERSION", message: /not a stamp/ });
  await redis.del(reg.keys.stamp);
  // write.lua called by hand checks its arguments the same way.
  const { sha1 } = registryScripts.write;
  const keys4 = [reg.keys.nodes, reg.keys.meta, reg.keys.version, reg.keys.stamp];
  const byHand = (expect, stamp) => redis.evalsha(sha1, 4, ...keys4, "add", "h", "1", "", expect, reg.keys.downPrefix, ...stamp);
  await assert.rejects(byHand("1e0", ["0123456789abcdef"]), { message: /^ERR_INVALID_OPTION ARGV\[5\] \(the expected version\) must be a decimal integer/ });
  await assert.rejects(byHand("", []), { message: /^ERR_INVALID_OPTION write\.lua needs a fresh random stamp as ARGV\[7\]/ });
  assert.equal(await byHand("1", ["0123456789abcdef"]), 2);
  await assert.rejects(byHand("", ["0123456789abcdef"]), { message: /fresh random stamp/ }, "the current stamp again is not fresh");
  await assert.rejects(redis.evalsha(sha1, 3, ...keys4.slice(0, 3), "add", "i", "1", "", "", reg.keys.downPrefix, "fedcba9876543210"), { message: /^ERR_INVALID_OPTION write\.lua takes 4 keys/ });
  // WRONGTYPE from a plain command, and from inside a script.
  await redis.del(reg.keys.version);
  await redis.hset(reg.keys.version, "v", "1");
  for (const [what, use] of Object.entries({ version: uses.version, load: uses.load, add: uses.add })) {
    const e = await rejection(use(), what);
    assert.ok(e instanceof EdgerouteError && e.code === "ERR_REGISTRY_WRONG_TYPE" && /WRONGTYPE|another type/.test(e.message), `${what}: ${e}`);
  }
  await redis.del(reg.keys.version);
  // A Redis-side refusal: writes over maxmemory are refused with OOM.
  const [, maxmemory] = await redis.config("GET", "maxmemory");
  await redis.config("SET", "maxmemory", "1");
  try {
    const e = await rejection(reg.add({ id: "oom" }), "add over maxmemory");
    assert.ok(e instanceof EdgerouteError && e.code === "ERR_REGISTRY_REDIS", String(e));
    assert.match(e.message, /^Registry: Redis failed write\.lua: .*OOM/);
    assert.match(e.cause.message, /OOM/);
  } finally {
    await redis.config("SET", "maxmemory", maxmemory);
  }
  // A failure that is not a Redis reply (the connection, a bug in the command function) propagates unchanged.
  const lost = new Error("connect ECONNREFUSED 127.0.0.1:1");
  const down = new Registry(async () => { throw lost; }, { name: "ver" });
  for (const use of [() => down.version(), () => down.load(), () => down.pick("k"), () => down.add({ id: "z" })]) {
    assert.equal(await rejection(use(), "a command function that fails"), lost);
  }
  // A reply shaped like our scripts' errors but with a code the package does not list is Redis's, not ours:
  // err.code is always one of ErrorCode (js/errors.js).
  const foreign = new Error("ERR_NOT_OURS something else replied");
  const odd = new Registry(async () => { throw foreign; }, { name: "ver" });
  const e = await rejection(odd.version(), "an unknown ERR_ code");
  assert.ok(e instanceof EdgerouteError && e.code === "ERR_REGISTRY_REDIS" && e.cause === foreign, String(e));
  router.free();
});

test("SCRIPT KILL of a long pick, and BUSY while it runs, are ERR_REGISTRY_REDIS with the Redis error as cause", async () => {
  const reg = new Registry(commandOf(redis), { name: "busy" });
  await fillByHand(redis, reg.keys.nodes, MAX_NODES);
  const other = connect();
  await other.ping(); // connected and ready before Redis gets busy
  const reg2 = new Registry(commandOf(other), { name: "busy" });
  const [, threshold] = await redis.config("GET", "busy-reply-threshold");
  // Redis serves other clients (BUSY, or SCRIPT KILL) once a script has run past this threshold.
  await redis.config("SET", "busy-reply-threshold", "5");
  try {
    // pickN of every node of the largest registry allowed: 65,536 hashes and logarithms and a sort, far more
    // than 5 ms (about a second here).
    let settled = false;
    const long = reg.pickN("k", MAX_NODES).then(
      () => { settled = true; },
      (e) => { settled = true; return e; },
    );
    let probe;
    while (!settled) {
      probe = await other.ping().then(() => undefined, (e) => e);
      if (probe) break;
      await sleep(1);
    }
    assert.ok(probe && /^BUSY/.test(probe.message), "Redis answered BUSY while the script ran");
    const busy = await rejection(reg2.pick("k"), "pick while another script runs");
    assert.ok(busy instanceof EdgerouteError && busy.code === "ERR_REGISTRY_REDIS", String(busy));
    assert.match(busy.message, /^Registry: Redis failed pick\.lua: BUSY /);
    assert.match(busy.cause.message, /^BUSY /);
    assert.equal(await other.call("SCRIPT", "KILL"), "OK");
    const killed = await long;
    assert.ok(killed instanceof EdgerouteError && killed.code === "ERR_REGISTRY_REDIS", String(killed));
    assert.match(killed.message, /^Registry: Redis failed pick\.lua: ERR .*killed by user with SCRIPT KILL/);
    assert.match(killed.cause.message, /SCRIPT KILL/);
    console.log(`SCRIPT KILL: ${killed.message}`);
  } finally {
    await redis.config("SET", "busy-reply-threshold", threshold);
  }
  assert.equal(typeof (await reg2.pick("k")), "string", "Redis serves the registry again");
});

test("one node cap: MAX_NODES of lua/lib.lua is what the Router refuses, and the scripts refuse it before any work", async () => {
  assert.equal(MAX_NODES, 65536);
  const nodes = Array.from({ length: MAX_NODES }, (_, i) => ({ id: `node-${i}` }));
  new Router({ strategy: "rendezvous", compat: "redis", nodes }).free();
  assert.throws(() => new Router({ strategy: "rendezvous", compat: "redis", nodes: [...nodes, { id: "one-more" }] }), { code: "ERR_TOO_LARGE" });
  const reg = new Registry(commandOf(redis), { name: "cap" });
  await fillByHand(redis, reg.keys.nodes, MAX_NODES - 1);
  assert.equal(await reg.add({ id: "last" }), 1, "the registry takes nodes up to the cap");
  await assert.rejects(reg.add({ id: "one-more" }), { code: "ERR_TOO_LARGE", message: /holds 65536 nodes, the most supported/ });
  // At the cap, the registry and its Router agree.
  const router = await reg.router();
  assert.equal(router.nodes().length, MAX_NODES);
  for (const k of ["", "/user/42", "東京"]) assert.equal(await reg.pick(k), router.pick(k));
  // One more node, written by hand (bumping the version, as hand writes must): every reader refuses, as the
  // Router does, and at once.
  await redis.zadd(reg.keys.nodes, 1, "one-more");
  await redis.incr(reg.keys.version);
  const uses = {
    pick: () => reg.pick("k"),
    pickN: () => reg.pickN("k", 3),
    pickRandom: () => reg.pickRandom(0.5),
    load: () => reg.load(),
    "router()": () => reg.router(),
    refresh: () => reg.refresh(router),
  };
  for (const [what, use] of Object.entries(uses)) {
    const started = performance.now();
    const e = await rejection(use(), `${what} over the cap`);
    const ms = performance.now() - started;
    assert.ok(e instanceof EdgerouteError && e.code === "ERR_TOO_LARGE", `${what}: ${e}`);
    assert.match(e.message, /has 65537 nodes; at most 65536 are supported/);
    if (what === "pick") console.log(`node cap: pick over ${MAX_NODES} nodes refused in ${ms.toFixed(1)} ms`);
  }
  router.free();
});

test("weights below 1e-6 are refused as the Router refuses them (subnormal weights would skew the shares)", async () => {
  const reg = new Registry(commandOf(redis), { name: "tiny" });
  for (const w of [5e-324, 1e-323, 1e-300, 1e-7, 9.99e-7]) {
    for (const use of [() => reg.add({ id: "a", weight: w }), () => reg.setWeight("a", w)]) {
      await assert.rejects(use(), (e) => e instanceof EdgerouteError && e.code === "ERR_INVALID_WEIGHT" && /a number from 1e-6 to 1e6, got /.test(e.message), String(w));
    }
  }
  // The scripts hold the same line for callers that skip the JS checks.
  const { sha1 } = registryScripts.write;
  const keys4 = [reg.keys.nodes, reg.keys.meta, reg.keys.version, reg.keys.stamp];
  for (const w of ["5e-324", "1e-323", "9.99e-7"]) {
    await assert.rejects(redis.evalsha(sha1, 4, ...keys4, "add", "a", w, "", "", reg.keys.downPrefix, "0123456789abcdef"), { message: /^ERR_INVALID_WEIGHT the weight of "a" must be a number from 1e-6 to 1e6/ });
  }
  // ... and refuse such weights stored by hand: the shares of [5e-324, 5e-324, 1e-323] came out 31/25/44 %.
  await redis.zadd(reg.keys.nodes, 5e-324, "a", 5e-324, "b", 1e-323, "c");
  for (const use of [() => reg.load(), () => reg.pick("k"), () => reg.pickRandom(0.5), () => reg.router()]) {
    await assert.rejects(use(), (e) => e instanceof EdgerouteError && e.code === "ERR_REGISTRY_BAD_WEIGHT" && /weights must be numbers from 1e-6 to 1e6/.test(e.message));
  }
  // The bounds themselves are weights; their shares follow them.
  const edge = new Registry(commandOf(redis), { name: "edges" });
  await edge.add({ id: "light", weight: 1e-6 });
  await edge.add({ id: "heavy", weight: 1e6 });
  assert.deepEqual((await edge.load()).nodes, [{ id: "light", weight: 1e-6 }, { id: "heavy", weight: 1e6 }]);
  const router = await edge.router();
  assert.equal(await agreement(edge, router, keys(300, "edges"), 2), 0);
  // A reply weight below the range (a command function that rewrites replies) is caught in JS too.
  const lying = new Registry(async (...a) => {
    const reply = await redis.call(...a);
    if (Array.isArray(reply) && Array.isArray(reply[2])) reply[2] = reply[2].map((row) => [row[0], "1e-7", row[2], row[3]]);
    return reply;
  }, { name: "edges" });
  await assert.rejects(lying.load(), { code: "ERR_REGISTRY_BAD_WEIGHT", message: /weights must be numbers from 1e-6 to 1e6/ });
  router.free();
});

test("an emptied registry gives an empty Router, as refresh and pick see it", async () => {
  const reg = new Registry(commandOf(redis), { name: "emptied", seed: 11 });
  await reg.add({ id: "a" });
  await reg.add({ id: "b", weight: 2 });
  await reg.markDown("a", 60_000);
  const old = await reg.router();
  await reg.remove("a");
  await reg.remove("b");
  assert.deepEqual((await reg.load()).nodes, []);
  assert.equal(await reg.pick("k"), undefined);
  assert.equal(await reg.pickRandom(), undefined);
  assert.equal(await reg.refresh(old), true, "refresh empties a Router");
  const router = await reg.router();
  assert.deepEqual(router.nodes(), []);
  assert.equal(router.pick("k"), undefined);
  assert.deepEqual(router.toJSON(), old.toJSON(), "the same Router as one emptied by refresh");
  assert.equal(await reg.refresh(router), false);
  const ring = await reg.router({ strategy: "ring", vnodes: 40 });
  assert.deepEqual(ring.nodes(), []);
  const twemproxy = await reg.router({ strategy: "ring", compat: "twemproxy" }); // ids must be host:port or /path
  assert.deepEqual(twemproxy.nodes(), []);
  twemproxy.free();
  // Nodes come back through refresh, in agreement with pick.lua.
  await reg.add({ id: "c", weight: 2 });
  await reg.add({ id: "d" });
  assert.equal(await reg.refresh(router), true);
  assert.equal(await agreement(reg, router, keys(300, "emptied")), 0);
  assert.equal(await reg.refresh(ring), true);
  assert.deepEqual(idsOf(ring), ["c", "d"]);
  for (const r of [old, router, ring]) r.free();
});

test("EVALSHA falls back to EVAL after SCRIPT FLUSH; the shipped files are the exported strings", async () => {
  const reg = new Registry(commandOf(redis), { name: "flush" });
  await reg.add({ id: "a" });
  await redis.script("FLUSH");
  assert.equal(await reg.pick("k"), "a");
  const loaded = await redis.script("EXISTS", registryScripts.pick.sha1);
  assert.deepEqual(loaded, [1], "EVAL cached the script under the advertised SHA-1");
  for (const name of ["pick", "random", "read", "write"]) {
    const file = readFileSync(new URL(`../../node_modules/edgeroute/lua/${name}.lua`, import.meta.url), "utf8");
    assert.equal(file, registryScripts[name].source);
    assert.equal(await redis.script("LOAD", file), registryScripts[name].sha1);
  }
  // The scripts work from any client by hand, as documented: EVALSHA pick.lua 2 nodes version key n seed prefix.
  const id = await redis.evalsha(registryScripts.pick.sha1, 2, reg.keys.nodes, reg.keys.version, "k", 1, 0, reg.keys.downPrefix);
  assert.deepEqual(id, ["a"]);
});

test("Redis's script PRNG is seeded once per server start (why pickRandom takes r from the caller)", async () => {
  const draw = (c) => c.eval("return tostring(math.random())", 0);
  const first = await draw(redis);
  const second = await draw(redis);
  assert.notEqual(first, second, "math.random is not reseeded before each script");
  const version = (await redis.info("server")).match(/redis_version:(\S+)/)[1];
  for (const c of clients.splice(0)) c.disconnect();
  const port = await server.restart();
  const fresh = new Redis({ port, host: "127.0.0.1" });
  clients.push(fresh);
  assert.equal(await draw(fresh), first, "a restarted server repeats the same sequence");
  console.log(`redis ${version}: math.random() ${first}, then ${second}; after a restart ${first} again`);
  redis = fresh;
});

test("node-redis works through the same command function", async () => {
  const client = createClient({ socket: { host: "127.0.0.1", port: server.port } });
  await client.connect();
  try {
    const reg = new Registry((...a) => client.sendCommand(a), { name: "noderedis", seed: 5 });
    for (let i = 0; i < 6; i++) await reg.add({ id: `n${i}`, weight: i + 1, meta: { zone: `z${i % 2}` } });
    const router = await reg.router();
    assert.equal(await agreement(reg, router, keys(1000, "nr")), 0);
    assert.equal((await reg.load()).nodes.length, 6);
    router.free();
  } finally {
    await client.quit();
  }
});

test("a 3-master Redis Cluster: one slot per registry, scripts and agreement unchanged", async () => {
  const cluster = await startCluster();
  const c = new Redis.Cluster(cluster.ports.map((port) => ({ host: "127.0.0.1", port })));
  try {
    const command = (...a) => c.call(...a);
    const regs = ["alpha", "beta", "gamma"].map((name) => new Registry(command, { name }));
    const slots = new Set();
    for (const reg of regs) {
      const own = new Set(Object.values(reg.keys).map((key) => Number(execFileSync("redis-cli", ["-p", String(cluster.ports[0]), "CLUSTER", "KEYSLOT", key]).toString())));
      own.add(Number(execFileSync("redis-cli", ["-p", String(cluster.ports[0]), "CLUSTER", "KEYSLOT", reg.keys.downPrefix + "some-node"]).toString()));
      assert.equal(own.size, 1, `${reg.keys.nodes}: every key in one slot`);
      slots.add([...own][0]);
      for (let i = 0; i < 5; i++) await reg.add({ id: `${i}`, weight: i + 1 });
      await reg.markDown("0", 60_000);
    }
    assert.ok(slots.size > 1, "different registries spread over slots");
    for (const reg of regs) {
      const router = await reg.router();
      assert.equal(await agreement(reg, router, keys(1000, reg.keys.nodes)), 0);
      router.free();
    }
  } finally {
    c.disconnect();
    cluster.stop();
  }
});

test("the task-scheduling example: every task done once, shares follow the weights", async () => {
  const out = execFileSync(process.execPath, ["examples/redis-tasks.mjs", "--port", String(server.port), "--tasks", "4000"], { encoding: "utf8" });
  const { tasks, workers } = JSON.parse(out.trim().split("\n").pop());
  let sum = 0;
  for (const [id, w] of Object.entries(workers)) {
    assert.equal(w.assigned, w.completed, `${id} completed what it was assigned`);
    const sd = Math.sqrt(tasks * w.expected * (1 - w.expected));
    assert.ok(Math.abs(w.completed - tasks * w.expected) < 5 * sd, `${id}: ${w.completed} of ${tasks}, expected ${tasks * w.expected}`);
    sum += w.completed;
  }
  assert.equal(sum, tasks);
  console.log(`task example: ${Object.entries(workers).map(([id, w]) => `${id} w=${w.weight} ${w.completed}`).join(", ")}`);
});
