// compat "squid" and "caddy" against the real daemons (Debian's squid 5.7 and caddy 2.6.2) on loopback: every
// key is sent through the daemon to origins that answer with their own name, and Router.pick on the same
// config must agree on 100% of the keys; the counts are printed. Also the next choice with the first one down.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Router } from "edgeroute";
import { freePort, makeKeys, stopAll } from "./daemons.mjs";
import { startOrigin, startSquid, startCaddy, stop, stopOrigins, ask } from "./proxies.mjs";

after(async () => {
  stopOrigins();
  await stopAll();
});

const N = Number(process.env.COMPAT_KEYS ?? 1800);

/** Compares the daemon's answers with pick; prints and returns the count of agreeing keys. */
function agree(router, keys, observed, what, { spread = true } = {}) {
  const bad = [];
  for (let i = 0; i < keys.length; i++) {
    const got = router.pick(keys[i]);
    if (got !== observed[i]) bad.push(`${JSON.stringify(keys[i])}: daemon ${observed[i]}, Router ${got}`);
  }
  const n = router.nodes().length;
  const ws = router.nodes().map((x) => x.weight).join(",");
  console.log(`${what}: ${keys.length - bad.length}/${keys.length} keys agree, ${bad.length} differ (${n} servers, weights ${ws})`);
  assert.equal(bad.length, 0, `${what}: ${bad.length} of ${keys.length} keys disagree, e.g.\n${bad.slice(0, 5).join("\n")}`);
  if (spread) assert.ok(new Set(observed).size > 1 || n === 1, `${what}: all keys went to one backend`);
}

/** With `dead` down in the daemon: each key whose first choice was `dead` went to pickN's second. */
function nextChoice(router, dead, keys, observed, what, { spread = true } = {}) {
  let moved = 0;
  for (const [i, k] of keys.entries()) {
    const [first, second] = router.pickN(k, 2);
    if (first === dead) {
      moved++;
      assert.equal(observed[i], second, `${what}: ${JSON.stringify(k)} went to ${observed[i]}, pickN(key, 2)[1] is ${second}`);
    }
  }
  console.log(`${what}: ${moved} keys had ${dead} first; all ${moved} went to pickN(key, 2)[1]`);
  assert.ok(moved > keys.length / 20, `${what}: only ${moved} keys had the dead server first`);
  router.markDown(dead);
  agree(router, keys, observed, `${what}, marked down`, { spread });
}

// Origins: 12 loopback addresses, one port; a node id is `127.0.0.<k>:<port>`, whose host is Squid's default
// peer name.
const HOSTS = Array.from({ length: 12 }, (_, i) => `127.0.0.${10 + i}`);
let port;
const ids = [];
async function origins() {
  if (ids.length) return;
  port = await freePort();
  for (const h of HOSTS) {
    await startOrigin(`${h}:${port}`, h, port);
    ids.push(`${h}:${port}`);
  }
}

/** Absolute URLs as a client sends them to a proxy: punctuation, percent-encoding, 2–4-byte UTF-8, ports. */
function urlKeys(n) {
  const hosts = ["example.com", "cdn.example.org:8080", "a-b.test", "xn--bcher-kva.example", "10.1.2.3"];
  return makeKeys(n).map((k, i) => {
    const enc = i % 3 === 0 ? encodeURI(k).replace(/%5B|%5D/g, "") : k.replace(/[#%\\"`^{}|<> ]/g, (c) => encodeURIComponent(c));
    return `http://${hosts[i % hosts.length]}/${enc}`;
  });
}

test("squid: CARP, equal and unequal weights, 3 to 10 peers, one removed, names, carp-key, a tiny weight", async () => {
  await origins();
  const keys = urlKeys(N);
  const peers = (nodes, extra = () => "") =>
    nodes
      .map((n, j) => {
        const [host, p] = n.id.split(":");
        const name = n.name ? ` name=${n.name}` : "";
        return `cache_peer ${host} parent ${p} 0 carp no-query no-digest weight=${n.weight}${name}${extra(j)}`;
      })
      .join("\n");
  const w = (k, ws) => ids.slice(0, k).map((id, j) => ({ id, weight: ws ? ws[j % ws.length] : 1 }));
  const scenarios = [
    { what: "3 equal", nodes: w(3) },
    { what: "7 equal", nodes: w(7) },
    { what: "5 unequal", nodes: w(5, [1, 2, 3, 1, 5]) },
    { what: "10 unequal", nodes: w(10, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) },
    { what: "10 unequal minus one", nodes: w(10, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).filter((_, j) => j !== 4) },
    { what: "10 equal minus one (every later peer re-hashed)", nodes: w(10).filter((_, j) => j !== 2) },
    {
      what: "named peers, UTF-8 names",
      nodes: w(4, [2, 1, 3, 1]).map((n, j) => ({ ...n, name: ["alpha", "βeta", "ガンマ", "🎉delta"][j] })),
    },
    // A weight under 1/1000 of the total: its load factor is 0, the next lightest peer's multiplier +inf, and
    // every other NaN, so every key goes to the second-lightest peer.
    { what: "a weight under a thousandth", nodes: w(4, [1000, 1, 1000, 500]), spread: false },
  ];
  for (const s of scenarios) {
    const sp = await freePort();
    const { proc } = await startSquid(sp, peers(s.nodes));
    const observed = await ask(sp, keys.map((k) => ({ path: k })));
    const r = new Router({ strategy: "rendezvous", compat: "squid", nodes: s.nodes });
    agree(r, keys, observed, `squid ${s.what}`, { spread: s.spread ?? true });
    if (s.spread === false) {
      assert.equal(new Set(observed).size, 1);
      assert.equal(observed[0], s.nodes[3].id); // weight 500: the lightest but one
    }
    r.free();
    await stop(proc);
  }

  // Squid hashes its canonical URL: host lowercased, the default port dropped.
  {
    const nodes = w(5, [1, 2, 1, 3, 1]);
    const sp = await freePort();
    const { proc } = await startSquid(sp, peers(nodes));
    const sent = keys.slice(0, 300).map((k) => k.replace("http://example.com/", "http://EXAMPLE.Com:80/"));
    const observed = await ask(sp, sent.map((k) => ({ path: k })));
    const r = new Router({ strategy: "rendezvous", compat: "squid", nodes });
    agree(r, keys.slice(0, 300), observed, "squid canonical URL (sent with an upper-case host and :80)");
    r.free();
    await stop(proc);
  }

  // carp-key: the key is the parts Squid joins (path and query: the request target; host and path: the host
  // then the path without its query).
  for (const [opt, keyOf] of [
    ["path,params", (u) => u.replace(/^http:\/\/[^/]*/, "")],
    ["host,path", (u) => u.replace(/^http:\/\/([^/:]*)(:\d+)?/, "$1").replace(/\?.*$/, "")],
    ["scheme,host,port", (u) => u.replace(/^(http:\/\/[^/:]*)(:\d+)?\/.*$/, (_, a, p) => `${a}${p ?? ":80"}`)],
  ]) {
    const nodes = w(6, [1, 2, 1, 3, 1, 2]);
    const sp = await freePort();
    const { proc } = await startSquid(sp, peers(nodes, () => ` carp-key=${opt}`));
    const observed = await ask(sp, keys.map((k) => ({ path: k })));
    const r = new Router({ strategy: "rendezvous", compat: "squid", nodes });
    agree(r, keys.map(keyOf), observed, `squid carp-key=${opt}`);
    r.free();
    await stop(proc);
  }

  // The next choice: a peer whose port is closed; connect-fail-limit=1 makes Squid mark it dead on its first
  // failure, after which CARP skips it.
  {
    const dead = `127.0.0.30:${port}`;
    const nodes = [...w(2, [1, 2]), { id: dead, weight: 2 }, ...w(5, [1, 1, 3]).slice(2)];
    const sp = await freePort();
    const { proc } = await startSquid(sp, peers(nodes, () => " connect-fail-limit=1"));
    const ks = keys.slice(0, 600);
    await ask(sp, ks.map((k) => ({ path: k })), 1);
    const observed = await ask(sp, ks.map((k) => ({ path: k })));
    const r = new Router({ strategy: "rendezvous", compat: "squid", nodes });
    nextChoice(r, dead, ks, observed, "squid, a dead parent");
    r.free();
    await stop(proc);
  }

  // A weight under a thousandth and the next lightest peer dead: no CARP score is above 0, and Squid takes
  // the first peer in config order that is up (getFirstUpParent), which pick then returns too.
  {
    const dead = `127.0.0.31:${port}`;
    const nodes = [...w(4, [1000, 1, 1000]).slice(0, 3), { id: dead, weight: 500 }];
    const sp = await freePort();
    const { proc } = await startSquid(sp, peers(nodes, () => " connect-fail-limit=1"));
    const ks = keys.slice(0, 300);
    await ask(sp, ks.map((k) => ({ path: k })), 1);
    const observed = await ask(sp, ks.map((k) => ({ path: k })));
    const r = new Router({ strategy: "rendezvous", compat: "squid", nodes });
    nextChoice(r, dead, ks, observed, "squid, a weight under a thousandth, the CARP choice dead", { spread: false });
    assert.ok(observed.every((o) => o === nodes[0].id));
    r.free();
    await stop(proc);
  }
});

test("caddy: uri_hash, header, ip_hash; 3 to 10 upstreams, one removed, a dead upstream", async () => {
  await origins();
  const keys = makeKeys(N);
  const paths = urlKeys(N).map((u) => u.replace(/^http:\/\/[^/]*/, ""));
  const scenarios = [
    { what: "uri_hash, 3", policy: "uri_hash", nodes: ids.slice(0, 3) },
    { what: "uri_hash, 10", policy: "uri_hash", nodes: ids.slice(0, 10) },
    { what: "uri_hash, 10 minus one", policy: "uri_hash", nodes: ids.slice(0, 10).filter((_, j) => j !== 6) },
    { what: "header X-Key, 5", policy: "header X-Key", nodes: ids.slice(0, 5) },
    { what: "header X-Key, 8", policy: "header X-Key", nodes: ids.slice(2, 10) },
    { what: "ip_hash, 4", policy: "ip_hash", nodes: ids.slice(0, 4) },
    { what: "ip_hash, 9", policy: "ip_hash", nodes: ids.slice(1, 10) },
  ];
  // Upstreams written without a port: Caddy dials (and hashes) them with ":80" added.
  const port80 = ["127.0.3.40", "127.0.3.41", "127.0.3.42", "127.0.3.43"];
  for (const h of port80) await startOrigin(`${h}:80`, h, 80);
  scenarios.push({ what: "uri_hash, upstreams written without a port", policy: "uri_hash", nodes: port80.map((h) => `${h}:80`), written: port80 });
  const dead = `127.0.0.30:${port}`;
  scenarios.push({ what: "uri_hash, a dead upstream", policy: "uri_hash", dead, nodes: [...ids.slice(0, 2), dead, ...ids.slice(2, 5)] });
  let file = "{\n  admin off\n  auto_https off\n}\n";
  for (const s of scenarios) {
    s.port = await freePort();
    const health = s.dead ? "\n    fail_duration 60s\n    max_fails 1\n    lb_try_duration 5s\n    lb_try_interval 0" : "";
    file += `http://127.0.0.1:${s.port} {\n  reverse_proxy ${(s.written ?? s.nodes).join(" ")} {\n    lb_policy ${s.policy}${health}\n  }\n}\n`;
  }
  await startCaddy(file, scenarios.map((s) => s.port));
  const clients = Array.from({ length: 400 }, (_, i) => `127.${1 + (i % 3)}.${(i * 7) % 256}.${1 + (i % 250)}`);
  for (const s of scenarios) {
    const r = new Router({ strategy: "rendezvous", compat: "caddy", nodes: s.nodes.map((id) => ({ id })) });
    let ks, reqs;
    if (s.policy === "uri_hash") [ks, reqs] = [paths, paths.map((p) => ({ path: p }))];
    else if (s.policy.startsWith("header")) [ks, reqs] = [keys, keys.map((k) => ({ headers: { "x-key": k } }))];
    else [ks, reqs] = [clients, clients.map((c) => ({ localAddress: c }))];
    if (s.dead) {
      ks = ks.slice(0, 600);
      reqs = reqs.slice(0, 600);
      await ask(s.port, reqs, 1);
    }
    const observed = await ask(s.port, reqs);
    if (s.dead) nextChoice(r, s.dead, ks, observed, `caddy ${s.what}`);
    else agree(r, ks, observed, `caddy ${s.what}`);
    r.free();
  }
});

test("squid and caddy: what the profiles refuse", () => {
  const nodes = [{ id: "10.0.0.1:3128" }, { id: "10.0.0.2:3128", weight: 2 }];
  assert.throws(() => new Router({ strategy: "rendezvous", compat: "caddy", nodes }), { code: "ERR_INVALID_WEIGHT" });
  assert.throws(() => new Router({ strategy: "ring", compat: "squid", nodes }), { code: "ERR_INVALID_OPTION" });
  assert.throws(
    () => new Router({ strategy: "rendezvous", compat: "squid", nodes: [{ id: "10.0.0.1:3128", weight: 1.5 }] }),
    { code: "ERR_INVALID_WEIGHT" },
  );
  assert.throws(
    () => new Router({ strategy: "rendezvous", compat: "squid", nodes: [{ id: "a:1" }, { id: "b:1", name: "A" }] }),
    { code: "ERR_DUPLICATE_ID" },
  );
});
