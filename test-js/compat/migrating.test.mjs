// docs/migrating.md, run: each section's blocks marked `<!-- tested: name -->` are read from the file and run as
// written, the peer (npm hashring, npm consistent-hash, real nginx, HAProxy, nutcracker + memcached and Traffic Server) and
// edgeroute side by side, and the numbers the guide states are checked. The guide's servers are on loopback
// (127.0.10.x), where this file starts the origins and memcached; its proxies listen on 127.0.10.100, apart
// from compat.test.mjs's, which may run at the same time in another process.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Router, EdgerouteError } from "edgeroute";
import HashRing from "hashring";
import ConsistentHash from "consistent-hash";
import { freePort, startOrigin, startNginx, startHaproxy, startMemcached, startNutcracker, originsFor, setAll, heldBy, flushAll, makeKeys, stopAll } from "./daemons.mjs";
import { startTrafficServer, ask } from "./proxies.mjs";

after(stopAll);

const HOST = "127.0.10.100";

/** docs/migrating.md, found above this file (the tests run from a copy inside the checkout). */
function guide() {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const p = path.join(dir, "docs", "migrating.md");
    if (fs.existsSync(p)) return fs.readFileSync(p, "utf8");
    if (path.dirname(dir) === dir) throw new Error(`docs/migrating.md not found above ${import.meta.url}`);
  }
}

/** The guide's tested blocks by name: the text of the fenced block after each `<!-- tested: name -->`. */
const BLOCKS = (() => {
  const out = {};
  for (const m of guide().matchAll(/^<!-- tested: ([\w-]+) -->\n```[\w-]*\n([^]*?)\n```$/gm)) {
    assert.equal(out[m[1]], undefined, `two blocks named ${m[1]}`);
    out[m[1]] = m[2];
  }
  return out;
})();

/** Runs a tested JS block without its import lines, with `scope` in reach; returns the named bindings. */
function runBlock(name, scope, names) {
  const code = BLOCKS[name];
  assert.ok(code, `docs/migrating.md has no block <!-- tested: ${name} -->`);
  const body = code.replace(/^import .*$/gm, "");
  return new Function(...Object.keys(scope), `${body}\nreturn { ${names.join(", ")} };`)(...Object.values(scope));
}

const KEYS = makeKeys(2000);
const count = (keys, f) => keys.filter(f).length;
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

test("the guide's tested blocks are all there", () => {
  assert.deepEqual(Object.keys(BLOCKS).sort(), ["ats", "ats-router", "consistent-hash", "haproxy", "haproxy-router", "hashring", "nginx", "nginx-router", "twemproxy", "twemproxy-router"]);
});

test("hashring: compat libketama is the same mapping (get, range, add, remove, has), the default ring is not", () => {
  const { ring, router, servers } = runBlock("hashring", { Router, HashRing }, ["ring", "router", "servers"]);
  const nodes = router.nodes();
  const plain = new Router({ strategy: "ring", nodes });
  const byDefault = count(KEYS, (k) => plain.pick(k) === ring.get(k));
  console.log(`hashring: compat libketama ${count(KEYS, (k) => router.pick(k) === ring.get(k))}/2000, default ring ${byDefault}/2000`);
  assert.equal(byDefault, 714, "the figure docs/migrating.md gives for the default ring");
  plain.free();
  const check = (what) => {
    for (const k of KEYS) {
      assert.equal(router.pick(k), ring.get(k), `${what}: get ${k}`);
      assert.deepEqual(router.pickN(k, 2), ring.range(k, 2), `${what}: range(key, 2) ${k}`);
    }
    for (const k of KEYS.slice(0, 300)) assert.deepEqual(router.pickN(k, router.nodes().length), ring.range(k), `${what}: range(key) ${k}`);
  };
  check("as built");
  ring.add({ "10.0.0.4:11211": 1 });
  router.add({ id: "10.0.0.4:11211", weight: 1 });
  check("after add");
  ring.remove("10.0.0.2:11211");
  router.remove("10.0.0.2:11211");
  check("after remove");
  assert.equal(ring.has("10.0.0.2:11211"), router.nodes().some((n) => n.id === "10.0.0.2:11211"));
  assert.equal(ring.has("10.0.0.1:11211"), router.nodes().some((n) => n.id === "10.0.0.1:11211"));
  assert.equal(Object.keys(servers).length, 3);
  router.free();
});

test("hashring: fractional weights as integers of the same ratio, the default port, and the single-precision list", () => {
  // { a: 1.5, b: 1 } is refused under the profile; { a: 3, b: 2 } keeps hashring's mapping.
  const frac = new HashRing({ "10.0.0.1:11211": 1.5, "10.0.0.2:11211": 1 });
  assert.throws(() => new Router({ strategy: "ring", compat: "libketama", nodes: [{ id: "10.0.0.1:11211", weight: 1.5 }, { id: "10.0.0.2:11211" }] }), (e) => e instanceof EdgerouteError && e.code === "ERR_INVALID_WEIGHT" && /libketama/.test(e.message));
  const scaled = new Router({ strategy: "ring", compat: "libketama", nodes: [{ id: "10.0.0.1:11211", weight: 3 }, { id: "10.0.0.2:11211", weight: 2 }] });
  assert.equal(count(KEYS, (k) => scaled.pick(k) === frac.get(k)), 2000);
  scaled.free();
  // { "default port": 11211 } is twemproxy's identity rule with its md5.
  const s = { "10.0.0.1:11211": 1, "10.0.0.2:11211": 2, "10.0.0.3:22122": 1 };
  const dp = new HashRing(s, "md5", { "default port": 11211 });
  const tw = new Router({ strategy: "ring", compat: "twemproxy", hash: "md5", nodes: Object.entries(s).map(([id, weight]) => ({ id, weight })) });
  assert.equal(count(KEYS, (k) => tw.pick(k) === dp.get(k)), 2000);
  tw.free();
  // Pools of n equal servers where libketama's float point counts differ from hashring's doubles.
  const differ = [];
  for (let n = 1; n <= 100; n++) {
    const ids = Array.from({ length: n }, (_, i) => `h${i}:11211`);
    const hr = new HashRing(ids);
    const r = new Router({ strategy: "ring", compat: "libketama", nodes: ids.map((id) => ({ id })) });
    if (hr.ring.length !== r.ringPoints().owners.length) differ.push(n);
    else if (n % 10 === 3) assert.equal(count(KEYS.slice(0, 300), (k) => r.pick(k) === hr.get(k)), 300, `${n} equal servers`);
    r.free();
  }
  assert.deepEqual(differ, [7, 14, 28, 49, 56, 61, 98], "the list docs/migrating.md gives");
});

test("consistent-hash: the API side by side; its random points disagree across instances, Routers do not", () => {
  const { hr, router } = runBlock("consistent-hash", { Router, ConsistentHash }, ["hr", "router"]);
  const ids = router.nodes().map((n) => n.id);
  assert.deepEqual([...hr.getNodes()].sort(), [...ids].sort(), "getNodes() and nodes() list the same ids");
  // Other processes: the same adds, other random points. 100 of them against this one.
  const selves = [];
  const shares = [];
  for (let t = 0; t < 100; t++) {
    const other = new ConsistentHash();
    other.add("a.example");
    other.add("b.example", 80);
    other.add("c.example");
    selves.push(count(KEYS, (k) => hr.get(k) === other.get(k)));
    shares.push(count(KEYS, (k) => other.get(k) === "b.example") / KEYS.length);
  }
  const twin = new Router({ strategy: "ring", nodes: router.nodes() });
  const routers = count(KEYS, (k) => router.pick(k) === twin.pick(k));
  const across = count(KEYS, (k) => hr.get(k) === router.pick(k));
  const range = (xs) => `${Math.min(...xs)} to ${Math.max(...xs)}, median ${[...xs].sort((a, b) => a - b)[xs.length >> 1]}`;
  console.log(`consistent-hash: another instance agrees on ${range(selves)} of 2000 keys; two Routers on ${routers}; edgeroute and consistent-hash on ${across}`);
  console.log(`consistent-hash: b.example (weight 2 of 4) gets ${range(shares)} of the keys`);
  assert.ok(selves.every((n) => n < 1500), `consistent-hash instances agreed on ${range(selves)} of 2000 keys`);
  assert.ok(shares.every((x) => Math.abs(x - 0.5) < 0.2), `b.example's share: ${range(shares)}`);
  assert.equal(routers, 2000);
  twin.free();
  // get(name, n) and pickN: n distinct nodes, the first is get/pick.
  for (const k of KEYS.slice(0, 500)) {
    for (const [one, two] of [[hr.get(k), hr.get(k, 2)], [router.pick(k), router.pickN(k, 2)]]) {
      assert.equal(two.length, 2);
      assert.notEqual(two[0], two[1]);
      assert.equal(two[0], one);
    }
  }
  // b.example, weight 2 of 4 (80 of 160 points), gets about half of the keys in both.
  const share = (f) => count(KEYS, (k) => f(k) === "b.example") / KEYS.length;
  const [chShare, erShare] = [share((k) => hr.get(k)), share((k) => router.pick(k))];
  console.log(`consistent-hash: b.example (weight 2 of 4) gets ${chShare} of the keys; edgeroute ${erShare}`);
  assert.ok(Math.abs(chShare - 0.5) < 0.2, `consistent-hash: ${chShare}`);
  assert.equal(erShare, 0.4935, "the figure docs/migrating.md gives");
  // Removing a node moves only its keys, in both.
  const before = [KEYS.map((k) => hr.get(k)), KEYS.map((k) => router.pick(k))];
  hr.remove("a.example");
  router.remove("a.example");
  const after = [KEYS.map((k) => hr.get(k)), KEYS.map((k) => router.pick(k))];
  for (const side of [0, 1]) {
    KEYS.forEach((k, i) => {
      if (before[side][i] !== "a.example") assert.equal(after[side][i], before[side][i], `${side ? "edgeroute" : "consistent-hash"}: ${k} moved`);
    });
  }
  // Keys that are not strings: consistent-hash converts them, pick wants String(name).
  assert.equal(hr.get(42), hr.get("42"));
  assert.throws(() => router.pick(/** @type {any} */ (42)), { code: "ERR_INVALID_KEY" });
  assert.ok(ids.includes(router.pick(String(42))));
  // A second add: more points there, ERR_DUPLICATE_ID here (setWeight instead).
  assert.throws(() => router.add({ id: "c.example" }), { code: "ERR_DUPLICATE_ID" });
  router.setWeight("c.example", 2);
  // No nodes: null there, undefined here.
  hr.remove("b.example");
  hr.remove("c.example");
  router.remove("b.example");
  router.remove("c.example");
  assert.equal(hr.get("k"), null);
  assert.equal(router.pick("k"), undefined);
  router.free();
});

// ---------------------------------------------------------------------------------------------------------
// The proxies: origins and memcached at the guide's addresses, the guide's config behind a frontend of ours.

/** HTTP origins named by their address; `unported` serves 127.0.10.3:80, named as nginx's server line has it. */
async function guideOrigins() {
  if (guideOrigins.done) return;
  guideOrigins.done = true;
  for (const [host, port] of [["127.0.10.1", 8080], ["127.0.10.2", 8080], ["127.0.10.3", 80]]) await startOrigin(`${host}:${port}`, { host, port });
}

/** Request targets: paths and queries, percent-encoded as a browser sends them, which URL leaves as they are. */
function pathKeys(n) {
  const shapes = [
    (i) => `/user/${i}`,
    (i) => `/user/${i}?tab=${i % 7}&sort=asc`,
    (i) => `/static/app.${i}.js`,
    (i) => `/%E6%9D%B1%E4%BA%AC/${i}?q=%C3%A9t%C3%A9`,
    (i) => `/a,b;c=${i}/@x:y!*~$()+`,
    (i) => `/${"p".repeat(10 + (i % 60))}/${i}?`,
  ];
  const out = Array.from({ length: n }, (_, i) => shapes[i % shapes.length](i));
  for (const p of out) {
    const u = new URL(p, "http://h");
    assert.equal(u.href.slice(u.origin.length), p, "URL keeps the request target as it is");
  }
  return out;
}

/** The Router picks what the proxy served, for every key. */
function assertAgree(router, keyOf, keys, observed, what, served = (id) => id) {
  const bad = [];
  keys.forEach((k, i) => {
    const got = served(router.pick(keyOf(k)));
    if (got !== observed[i]) bad.push(`${k}: proxy ${observed[i]}, Router ${got}`);
  });
  console.log(`${what}: ${keys.length - bad.length}/${keys.length} keys agree`);
  assert.equal(bad.length, 0, `${what}: ${bad.length} of ${keys.length} disagree, e.g.\n${bad.slice(0, 5).join("\n")}`);
  assert.ok(new Set(observed).size === router.nodes().length, `${what}: every server served some keys`);
}

test("nginx: the guide's upstream and Router agree on every request", async () => {
  await guideOrigins();
  const port = await freePort();
  await startNginx(`${BLOCKS.nginx}\n  server { listen ${HOST}:${port}; location / { proxy_pass http://cache; proxy_next_upstream off; } }\n`, [port], HOST);
  const keys = pathKeys(2000);
  const observed = await originsFor(port, keys, 16, { host: HOST, asPath: true });
  const { router, keyOf } = runBlock("nginx-router", { Router }, ["router", "keyOf"]);
  // nginx's `server 127.0.10.3;` is the origin on port 80.
  assertAgree(router, (k) => keyOf(new URL(k, "http://cache")), keys, observed, "nginx (docs/migrating.md)", (id) => (id === "127.0.10.3" ? "127.0.10.3:80" : id));
  router.free();
});

test("HAProxy: the guide's backend and Router agree on every request", async () => {
  await guideOrigins();
  const port = await freePort();
  const conf = `global\n  maxconn 256\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n${BLOCKS.haproxy}\nfrontend f\n  bind ${HOST}:${port}\n  default_backend cache\n`;
  await startHaproxy(conf, [port], HOST);
  const keys = pathKeys(2000);
  const observed = await originsFor(port, keys, 16, { host: HOST, asPath: true });
  const { router, keyOf } = runBlock("haproxy-router", { Router }, ["router", "keyOf"]);
  assertAgree(router, (k) => keyOf(new URL(k, "http://cache")), keys, observed, "HAProxy (docs/migrating.md)");
  router.free();
});

test("twemproxy: the guide's pool and Router agree on every key", async () => {
  const servers = [["127.0.10.1", 11211], ["127.0.10.2", 11211], ["127.0.10.3", 11212]].map(([host, port]) => ({ id: `${host}:${port}`, target: { host, port } }));
  for (const s of servers) await startMemcached(s.target);
  const port = await freePort();
  const yaml = BLOCKS.twemproxy.replace(/^(\s*listen:) .*$/m, `$1 ${HOST}:${port}`);
  assert.notEqual(yaml, BLOCKS.twemproxy, "the listen line was replaced");
  await startNutcracker(yaml, [port], HOST);
  const keys = KEYS.filter((k) => Buffer.byteLength(k) <= 250);
  await flushAll(servers.map((s) => s.target));
  await setAll({ host: HOST, port }, keys);
  const observed = new Array(keys.length);
  for (const s of servers) {
    const held = await heldBy(s.target, keys);
    keys.forEach((k, i) => {
      if (held.has(k)) {
        assert.equal(observed[i], undefined, `${k} is on two servers`);
        observed[i] = s.id;
      }
    });
  }
  const { router, keyOf } = runBlock("twemproxy-router", { Router }, ["router", "keyOf"]);
  assertAgree(router, keyOf, keys, observed, "twemproxy (docs/migrating.md)");
  router.free();
});

test("Traffic Server: the guide's parent.config line and Router agree on every request", async () => {
  await guideOrigins();
  const port = await freePort();
  await startTrafficServer(port, BLOCKS.ats);
  // Path parameters, empty queries and a leading "//" are what keyOf must get right.
  const keys = [...pathKeys(2000), "//user/1", "///user/2?x", "/user/3;p?q;r", "/user/4#frag"];
  const observed = await ask(port, keys.map((p) => ({ path: p })));
  const { router, keyOf } = runBlock("ats-router", { Router }, ["router", "keyOf"]);
  assertAgree(router, keyOf, keys, observed, "Traffic Server (docs/migrating.md)");
  router.free();
});
