// The compat profiles against the real daemons (Debian's nginx, haproxy, nutcracker + memcached), started
// here on loopback: every generated key is sent through the daemon, the backend that served it is observed,
// and Router.pick on the same config must agree on 100% of the keys. Also npm hashring (libketama mode).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Router } from "edgeroute";
import HashRing from "hashring";
import {
  tmp,
  freePort,
  startOrigin,
  startNginx,
  startHaproxy,
  startMemcached,
  startNutcracker,
  originsFor,
  setAll,
  heldBy,
  flushAll,
  makeKeys,
  stopAll,
} from "./daemons.mjs";

after(stopAll);

const KEYS = makeKeys(Number(process.env.COMPAT_KEYS ?? 1800));

/** Asserts that `router` picks `observed[i]` for every key; reports the first disagreements. */
function assertAgree(router, keys, observed, what, { spread = true } = {}) {
  const bad = [];
  for (let i = 0; i < keys.length; i++) {
    const want = observed[i];
    const got = router.pick(keys[i]);
    if (got !== want) bad.push(`${JSON.stringify(keys[i])}: daemon ${want}, Router ${got}`);
  }
  assert.equal(bad.length, 0, `${what}: ${bad.length} of ${keys.length} keys disagree, e.g.\n${bad.slice(0, 5).join("\n")}`);
  // The daemon really spread the keys (a test that every key went to one backend would prove little).
  if (spread) assert.ok(new Set(observed).size > 1 || router.nodes().length === 1, `${what}: all keys went to one backend`);
}

/** The daemon skipped `dead`: pickN's second choice where the first was dead, and pick with it marked down. */
function assertFailover(router, dead, keys, observed, what) {
  let moved = 0;
  for (const [i, k] of keys.entries()) {
    const [first, second] = router.pickN(k, 2);
    if (first === dead) {
      moved++;
      assert.equal(observed[i], second, `${what}: ${JSON.stringify(k)} failed over to ${observed[i]}, pickN says ${second}`);
    }
  }
  assert.ok(moved > keys.length / 20, `${what}: only ${moved} keys had the dead server first`);
  router.markDown(dead);
  assertAgree(router, keys, observed, `${what}, marked down`);
}

// ---------------------------------------------------------------------------------------------------------
// Origins shared by the HTTP proxies: 10 TCP origins, 2 on port 80 of other loopback addresses (names with no
// port, for nginx), and a unix socket.
const origins = [];
let unixPath;
const noPort = ["127.0.0.2", "127.0.0.3"];

async function httpOrigins() {
  if (origins.length) return;
  for (let i = 0; i < 10; i++) {
    const port = await freePort();
    const name = `127.0.0.1:${port}`;
    await startOrigin(name, { host: "127.0.0.1", port });
    origins.push(name);
  }
  for (const host of noPort) await startOrigin(host, { host, port: 80 });
  unixPath = `${tmp}/origin.sock`;
  await startOrigin(`unix:${unixPath}`, { path: unixPath });
}

const w = (list, weights) => list.map((id, i) => ({ id, weight: weights?.[i] ?? 1 }));

test("nginx: hash $key consistent and hash $key agree with Router.pick on every key", async () => {
  await httpOrigins();
  const scenarios = [
    { what: "consistent, 3 equal", strategy: "ring", nodes: w(origins.slice(0, 3)) },
    { what: "consistent, 5 unequal", strategy: "ring", nodes: w(origins.slice(0, 5), [1, 2, 3, 1, 5]) },
    { what: "consistent, 10 servers", strategy: "ring", nodes: w(origins, [2, 1, 1, 3, 1, 1, 2, 1, 1, 4]) },
    { what: "consistent, 5 unequal minus one", strategy: "ring", nodes: w(origins.slice(0, 5), [1, 2, 3, 1, 5]).filter((_, i) => i !== 2) },
    {
      what: "consistent, names with no port and a unix socket",
      strategy: "ring",
      nodes: [...w(origins.slice(0, 2)), ...w(noPort, [2, 1]), { id: `unix:${unixPath}`, weight: 1 }],
    },
    { what: "hash, 3 equal", strategy: "hash", nodes: w(origins.slice(0, 3)) },
    { what: "hash, 6 unequal", strategy: "hash", nodes: w(origins.slice(0, 6), [3, 1, 2, 1, 1, 5]) },
    { what: "hash, 10 servers minus one", strategy: "hash", nodes: w(origins, [1, 1, 2, 1, 1, 1, 1, 3, 1, 1]).slice(1) },
    { what: "hash, no port and unix", strategy: "hash", nodes: [...w(noPort), { id: `unix:${unixPath}`, weight: 2 }] },
  ];
  // Failover: a server nothing listens on. nginx tries the next peer (proxy_next_upstream error), so what
  // serves a key is the first live server in nginx's try order: Router.pick with that node marked down, and
  // pickN(key, 2)[1] for the keys whose first choice is the dead one.
  const dead = `127.0.0.1:${await freePort()}`;
  for (const strategy of ["ring", "hash"]) {
    scenarios.push({ what: `${strategy}, a dead server`, strategy, dead, nodes: [...w(origins.slice(0, 3), [1, 2, 1]), { id: dead, weight: 2 }, ...w(origins.slice(3, 5))] });
  }
  let body = "";
  for (const [i, s] of scenarios.entries()) {
    s.port = await freePort();
    const servers = s.nodes.map((n) => `    server ${n.id} weight=${n.weight};`).join("\n");
    body += `  upstream up${i} {\n    hash $http_x_key${s.strategy === "ring" ? " consistent" : ""};\n${servers}\n  }\n`;
    const next = s.dead ? "proxy_next_upstream error; proxy_connect_timeout 2s;" : "proxy_next_upstream off;";
    body += `  server { listen 127.0.0.1:${s.port}; location / { proxy_pass http://up${i}; ${next} } }\n`;
  }
  await startNginx(body, scenarios.map((s) => s.port));
  for (const s of scenarios) {
    const observed = await originsFor(s.port, KEYS);
    const r = new Router({ strategy: s.strategy, compat: "nginx", nodes: s.nodes });
    if (s.dead) assertFailover(r, s.dead, KEYS, observed, `nginx ${s.what}`);
    else assertAgree(r, KEYS, observed, `nginx ${s.what}`);
    r.free();
  }
});

test("haproxy: consistent and map-based, every hash function, avalanche on and off, explicit and automatic ids", async () => {
  await httpOrigins();
  const scenarios = [];
  const hashes = [undefined, "sdbm", "djb2", "wt6", "crc32"];
  for (const strategy of ["ring", "hash"]) {
    for (const hash of hashes) {
      for (const avalanche of hash === undefined ? [undefined] : [false, true]) {
        scenarios.push({ strategy, hash, avalanche, nodes: w(origins.slice(0, 4), [1, 2, 1, 3]) });
      }
    }
  }
  scenarios.push(
    { what: "explicit ids", strategy: "ring", nodes: w(origins.slice(0, 6), [1, 1, 2, 1, 1, 1]).map((n, i) => ({ ...n, serverId: [7, 3, 100, 1, 2, 50][i] })) },
    { what: "mixed ids", strategy: "ring", hash: "crc32", nodes: w(origins.slice(0, 5)).map((n, i) => (i === 1 ? { ...n, serverId: 1 } : i === 3 ? { ...n, serverId: 3 } : n)) },
    { what: "10 servers", strategy: "ring", nodes: w(origins, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) },
    { what: "10 servers minus one (automatic ids renumber)", strategy: "ring", nodes: w(origins, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).filter((_, i) => i !== 4) },
    { what: "map, 10 servers, weights with a common divisor", strategy: "hash", hash: "djb2", avalanche: true, nodes: w(origins, [2, 4, 6, 2, 2, 8, 2, 2, 4, 2]) },
    { what: "map, minus one", strategy: "hash", nodes: w(origins.slice(0, 7), [3, 1, 2, 1, 1, 1, 2]).slice(0, 6) },
  );
  // Redispatch: a dead server; with `option redispatch 1` the retry avoids it and walks on from its point.
  const dead = `127.0.0.1:${await freePort()}`;
  scenarios.push({ what: "consistent, a dead server, redispatch", strategy: "ring", dead, nodes: [...w(origins.slice(0, 2), [1, 2]), { id: dead, weight: 2 }, ...w(origins.slice(2, 5), [1, 1, 3])] });
  let conf = "global\n  maxconn 512\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n";
  for (const [i, s] of scenarios.entries()) {
    s.port = await freePort();
    const type = s.strategy === "ring" ? "consistent" : "map-based";
    const fn = s.hash ?? (s.avalanche === undefined ? "" : "sdbm");
    const mod = s.avalanche ? " avalanche" : "";
    conf += `backend b${i}\n  balance hash req.fhdr(x-key)\n  hash-type ${type}${fn ? ` ${fn}${mod}` : ""}\n`;
    for (const [j, n] of s.nodes.entries()) {
      conf += `  server s${j} ${n.id} weight ${n.weight}${n.serverId ? ` id ${n.serverId}` : ""}\n`;
    }
    if (s.dead) conf += "  retries 1\n  option redispatch 1\n  timeout connect 200ms\n";
    conf += `frontend f${i}\n  bind 127.0.0.1:${s.port}\n  default_backend b${i}\n`;
  }
  await startHaproxy(conf, scenarios.map((s) => s.port));
  for (const s of scenarios) {
    const keys = s.dead ? KEYS.slice(0, 500) : KEYS;
    const observed = await originsFor(s.port, keys, s.dead ? 64 : 16);
    const opts = { strategy: s.strategy, compat: "haproxy", nodes: s.nodes };
    if (s.hash) opts.hash = s.hash;
    if (s.avalanche !== undefined) opts.avalanche = s.avalanche;
    const r = new Router(opts);
    const what = `haproxy ${s.what ?? `${s.strategy} ${s.hash ?? "default"}${s.avalanche ? "+avalanche" : ""}`}`;
    if (s.dead) assertFailover(r, s.dead, keys, observed, what);
    else assertAgree(r, keys, observed, what);
    r.free();
  }
});

test("twemproxy: ketama and modula with every hash, named and unnamed servers, port 11211, a unix socket", async () => {
  // Memcached backends: 8 on random ports, 2 on port 11211 of other loopback addresses, 1 unix socket.
  const mc = [];
  for (let i = 0; i < 8; i++) {
    const port = await freePort();
    await startMemcached({ host: "127.0.0.1", port });
    mc.push({ id: `127.0.0.1:${port}`, target: { host: "127.0.0.1", port } });
  }
  for (const host of ["127.0.0.4", "127.0.0.5"]) {
    await startMemcached({ host, port: 11211 });
    mc.push({ id: `${host}:11211`, target: { host, port: 11211 } });
  }
  const sock = `${tmp}/mc.sock`;
  await startMemcached({ path: sock });
  mc.push({ id: sock, target: { path: sock } });
  const byId = new Map(mc.map((m) => [m.id, m]));

  const hashes = ["one_at_a_time", "md5", "crc16", "crc32", "crc32a", "fnv1_64", "fnv1a_64", "fnv1_32", "fnv1a_32", "hsieh", "murmur", "jenkins"];
  const scenarios = [];
  for (const hash of hashes) {
    scenarios.push({ distribution: "ketama", hash, nodes: [0, 1, 2, 3, 8].map((i, k) => ({ id: mc[i].id, weight: [1, 2, 1, 3, 1][k] })) });
    scenarios.push({ distribution: "modula", hash, nodes: [0, 1, 2, 9].map((i, k) => ({ id: mc[i].id, weight: [1, 2, 1, 1][k] })) });
  }
  const named = (i, name, weight = 1) => ({ id: mc[i].id, weight, name });
  scenarios.push(
    { what: "default hash, 3 equal", distribution: "ketama", nodes: [0, 1, 2].map((i) => ({ id: mc[i].id, weight: 1 })) },
    { what: "7 equal (float32 point counts)", distribution: "ketama", nodes: [0, 1, 2, 3, 4, 5, 6].map((i) => ({ id: mc[i].id, weight: 1 })) },
    { what: "named servers", distribution: "ketama", hash: "md5", nodes: [named(0, "alpha"), named(1, "beta", 2), named(8, "gamma"), named(10, "δέλτα")] },
    { what: "named and unnamed, a unix socket", distribution: "ketama", nodes: [named(0, "alpha"), { id: mc[1].id, weight: 1 }, { id: sock, weight: 2 }, { id: mc[9].id, weight: 1 }] },
    { what: "10 servers, unequal", distribution: "ketama", nodes: mc.slice(0, 10).map((m, i) => ({ id: m.id, weight: 1 + (i % 4) })) },
    { what: "10 servers minus one", distribution: "ketama", nodes: mc.slice(0, 10).map((m, i) => ({ id: m.id, weight: 1 + (i % 4) })).filter((_, i) => i !== 3) },
    { what: "modula, unix socket", distribution: "modula", hash: "murmur", nodes: [{ id: sock, weight: 1 }, { id: mc[0].id, weight: 3 }, named(1, "x")] },
  );
  let yaml = "";
  for (const [i, s] of scenarios.entries()) {
    s.port = await freePort();
    yaml += `pool${i}:\n  listen: 127.0.0.1:${s.port}\n  distribution: ${s.distribution}\n${s.hash ? `  hash: ${s.hash}\n` : ""}  auto_eject_hosts: false\n  timeout: 5000\n  servers:\n`;
    for (const n of s.nodes) yaml += `   - ${n.id}:${n.weight}${n.name ? ` ${n.name}` : ""}\n`;
  }
  await startNutcracker(yaml, scenarios.map((s) => s.port));
  const keys = KEYS.filter((k) => Buffer.byteLength(k) <= 250);
  for (const s of scenarios) {
    await flushAll(mc.map((m) => m.target));
    await setAll({ host: "127.0.0.1", port: s.port }, keys);
    const observed = new Array(keys.length);
    for (const n of s.nodes) {
      const held = await heldBy(byId.get(n.id).target, keys);
      keys.forEach((k, i) => {
        if (held.has(k)) {
          assert.equal(observed[i], undefined, `key ${k} is on two servers`);
          observed[i] = n.id;
        }
      });
    }
    assert.ok(observed.every((o) => o !== undefined), "every key is on some server");
    const opts = { strategy: s.distribution === "ketama" ? "ring" : "hash", compat: "twemproxy", nodes: s.nodes };
    if (s.hash) opts.hash = s.hash;
    const r = new Router(opts);
    // twemproxy's crc32 keeps 15 bits (0..32767), so on the 32-bit ketama ring every key lands on the first
    // point: one server takes everything. Pinned, not papered over.
    const degenerate = s.distribution === "ketama" && s.hash === "crc32";
    assertAgree(r, keys, observed, `twemproxy ${s.distribution} ${s.what ?? s.hash}`, { spread: !degenerate });
    if (degenerate) assert.equal(new Set(observed).size, 1, "ketama + crc32 sends every key to one server");
    r.free();
  }
});

test("libketama profile agrees with npm hashring on its continuum, and the float32 rule is where they part", () => {
  const configs = [
    { what: "3 equal", servers: { "10.0.0.1:11211": 1, "10.0.0.2:11211": 1, "10.0.0.3:11211": 1 } },
    { what: "4 unequal", servers: { "cache-a:11211": 100, "cache-b:11211": 200, "cache-c:11212": 300, "cache-d:11213": 400 } },
    { what: "5 weights 1..5", servers: Object.fromEntries([1, 2, 3, 4, 5].map((x) => [`10.1.0.${x}:11211`, x])) },
    { what: "10 equal", servers: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`h${i}:11211`, 1])) },
  ];
  for (const c of configs) {
    const ring = new HashRing(c.servers, "md5", { compatibility: "ketama" });
    const nodes = Object.entries(c.servers).map(([id, weight]) => ({ id, weight }));
    const r = new Router({ strategy: "ring", compat: "libketama", nodes });
    assert.equal(r.ringPoints().owners.length, ring.ring.length, `${c.what}: same number of points`);
    const observed = KEYS.map((k) => ring.get(k));
    assertAgree(r, KEYS, observed, `hashring ${c.what}`);
    for (const k of KEYS.slice(0, 300)) assert.deepEqual(r.pickN(k, 3), ring.range(k, 3), `pickN ${k}`);
    r.free();
  }
  // Seven equal servers: libketama computes floorf(40.0f) = 40 groups (160 points); hashring's doubles give
  // floor(39.999…) = 39 (156 points).
  const seven = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`s${i}:11211`, 1]));
  const ring = new HashRing(seven, "md5", { compatibility: "ketama" });
  const r = new Router({ strategy: "ring", compat: "libketama", nodes: Object.keys(seven).map((id) => ({ id })) });
  assert.equal(ring.ring.length, 7 * 156);
  assert.equal(r.ringPoints().owners.length, 7 * 160);
  r.free();
});

test("libketama and twemproxy agree where their rules coincide (port other than 11211, equal weights)", () => {
  const nodes = ["127.0.0.1:22122", "127.0.0.1:22123", "127.0.0.1:22124", "127.0.0.1:22125"].map((id) => ({ id }));
  const a = new Router({ strategy: "ring", compat: "libketama", nodes });
  const b = new Router({ strategy: "ring", compat: "twemproxy", hash: "md5", nodes });
  for (const k of KEYS) assert.equal(a.pick(k), b.pick(k));
  // With port 11211 twemproxy hashes the host alone, so the rings differ.
  const n11211 = ["10.0.0.1:11211", "10.0.0.2:11211"].map((id) => ({ id }));
  const c = new Router({ strategy: "ring", compat: "libketama", nodes: n11211 });
  const d = new Router({ strategy: "ring", compat: "twemproxy", hash: "md5", nodes: n11211 });
  assert.notDeepEqual([...c.ringPoints().positions], [...d.ringPoints().positions]);
  for (const x of [a, b, c, d]) x.free();
});
