// compat "varnish" against Debian's varnishd 7.1 on loopback: the shard director (by=HASH, by=URL, key(),
// weights, idents, reconfigure(replicas), alt, an unhealthy backend) and the hash director (weights, a removed
// backend, an unhealthy one) send every key where Router.pick does; the counts are printed.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Router } from "edgeroute";
import { freePort, makeKeys, stopAll } from "./daemons.mjs";
import { startOrigin, startVarnish, stop, stopOrigins, ask } from "./proxies.mjs";

after(async () => {
  stopOrigins();
  await stopAll();
});

const N = Number(process.env.COMPAT_KEYS ?? 1800);

function agree(router, keys, observed, what) {
  const bad = [];
  for (let i = 0; i < keys.length; i++) {
    const got = router.pick(keys[i]);
    if (got !== observed[i]) bad.push(`${JSON.stringify(keys[i])}: daemon ${observed[i]}, Router ${got}`);
  }
  const ws = router.nodes().map((x) => x.weight).join(",");
  console.log(`${what}: ${keys.length - bad.length}/${keys.length} keys agree, ${bad.length} differ (${router.nodes().length} servers, weights ${ws})`);
  assert.equal(bad.length, 0, `${what}: ${bad.length} of ${keys.length} keys disagree, e.g.\n${bad.slice(0, 5).join("\n")}`);
  assert.ok(new Set(observed).size > 1, `${what}: all keys went to one backend`);
}

const HOSTS = Array.from({ length: 11 }, (_, i) => `127.0.2.${10 + i}`);

/** The backend declarations; the unhealthy one points at a closed port and has a probe that never passes. */
async function backends(s, port) {
  let vcl = "vcl 4.1;\nimport directors;\n";
  for (const n of s.nodes) {
    const p = n.k === s.sick ? await freePort() : port;
    const probe = n.k === s.sick ? ` .probe = { .url = "/"; .interval = 100ms; .timeout = 50ms; .window = 1; .threshold = 1; .initial = 0; }` : "";
    vcl += `backend b${n.k} { .host = "${HOSTS[n.k]}"; .port = "${p}";${probe} }\n`;
  }
  return vcl;
}

/**
 * With an unhealthy backend: the keys whose first choice it is went to pickN(key, 2)[1] (the next choice), and
 * with it marked down every key agrees.
 */
function checkSick(r, s, sick, routerKeys, observed) {
  const firsts = routerKeys.filter((k) => r.pick(k) === sick).length;
  const bad = routerKeys.filter((k, i) => r.pick(k) === sick && r.pickN(k, 2)[1] !== observed[i]).length;
  console.log(`varnish ${s.what}: ${firsts} keys had ${sick} first; ${firsts - bad} went to pickN(key, 2)[1], ${bad} differ`);
  assert.equal(bad, 0);
  assert.ok(firsts > N / 20);
  r.markDown(sick);
  agree(r, routerKeys, observed, `varnish ${s.what}, marked down`);
}

const only = (scenarios) => scenarios.filter((x) => !process.env.VARNISH_ONLY || x.what.includes(process.env.VARNISH_ONLY));

test("varnish: shard director by=HASH, by=URL, key(), weights, idents, 3 to 10 backends, one removed, alt, unhealthy", async () => {
  const port = await freePort();
  for (const h of HOSTS) await startOrigin(`${h}:${port}`, h, port);
  const paths = makeKeys(N).map((k, i) => `/${i % 3 === 0 ? encodeURI(k) : k.replace(/[#%\\"`^{}|<> ]/g, encodeURIComponent)}`);
  const hostsOf = (i) => ["example.com", "cdn.example.org:8080", "ünï.example", "a"][i % 4];
  // A backend per origin host; node id = the ident (default the VCL name b<k>).
  const scenarios = [
    { what: "by=HASH, 3 backends", by: "HASH", nodes: [0, 1, 2].map((k) => ({ k })) },
    { what: "by=HASH, 10 backends, weights", by: "HASH", nodes: [...Array(10).keys()].map((k) => ({ k, weight: [1, 2, 1.5, 3, 1, 1, 2.25, 1, 4, 1][k] })) },
    { what: "by=HASH, 10 minus one", by: "HASH", nodes: [...Array(10).keys()].filter((k) => k !== 3).map((k) => ({ k })) },
    // In vcl_recv, backend() resolves at once (resolve=NOW), before there is a digest: by=HASH hashes the URL.
    { what: "by=HASH in vcl_recv (the URL's hash)", by: "HASH", inRecv: true, nodes: [0, 1, 2, 3].map((k) => ({ k })) },
    { what: "by=URL, 5 backends with idents", by: "URL", nodes: [0, 1, 2, 3, 4].map((k) => ({ k, ident: ["alpha", "βeta", "ガンマ", "🎉", "e:80"][k] })) },
    { what: "by=URL, 7 backends, weights", by: "URL", wrap: true, nodes: [0, 1, 2, 3, 4, 5, 6].map((k) => ({ k, weight: 1 + (k % 3) })) },
    { what: "by=KEY with key(bereq.http.x-key)", by: "KEY", nodes: [0, 1, 2, 3].map((k) => ({ k })) },
    { what: "by=URL, alt=1 (the next backend)", by: "URL", alt: 1, nodes: [0, 1, 2, 3, 4].map((k) => ({ k, weight: 1 + (k % 2) })) },
    { what: "by=URL, an unhealthy backend", by: "URL", sick: 2, nodes: [0, 1, 2, 3, 4, 5].map((k) => ({ k })) },
    // reconfigure(replicas = N): N points per unit of weight instead of 67.
    { what: "by=URL, replicas=1, 3 backends", by: "URL", replicas: 1, nodes: [0, 1, 2].map((k) => ({ k })) },
    { what: "by=URL, replicas=5, 8 backends, weights", by: "URL", replicas: 5, nodes: [...Array(8).keys()].map((k) => ({ k, weight: [1, 2, 1.5, 3, 1, 1.25, 2, 1][k] })) },
    { what: "by=HASH, replicas=300, 4 backends", by: "HASH", replicas: 300, nodes: [0, 1, 2, 3].map((k) => ({ k })) },
    { what: "by=URL, replicas=13, alt=1", by: "URL", replicas: 13, alt: 1, nodes: [0, 1, 2, 3, 4].map((k) => ({ k })) },
    { what: "by=URL, replicas=13, an unhealthy backend", by: "URL", replicas: 13, sick: 1, nodes: [0, 1, 2, 3, 4].map((k) => ({ k })) },
  ];
  for (const s of only(scenarios)) {
    const vp = await freePort();
    const id = (n) => n.ident ?? `b${n.k}`;
    let vcl = await backends(s, port);
    vcl += "sub vcl_init {\n  new s = directors.shard();\n";
    for (const n of s.nodes) {
      const args = [`b${n.k}`];
      if (n.ident) args.push(`ident = "${n.ident}"`);
      if (n.weight) args.push(`weight = ${n.weight}`);
      vcl += `  s.add_backend(${args.join(", ")});\n`;
    }
    vcl += `  s.reconfigure(${s.replicas ? `replicas = ${s.replicas}` : ""});\n}\n`;
    // Resolved in the backend fetch, where by=HASH reads the request's digest.
    const by = s.by === "KEY" ? "by = KEY, key = s.key(bereq.http.x-key)" : `by = ${s.by}`;
    const call = `s.backend(${by}${s.alt ? `, alt = ${s.alt}` : ""})`;
    vcl += s.inRecv
      ? `sub vcl_recv {\n  set req.backend_hint = ${call};\n  return (pass);\n}\n`
      : `sub vcl_recv {\n  return (pass);\n}\nsub vcl_backend_fetch {\n  set bereq.backend = ${call};\n}\n`;
    const r = new Router({
      strategy: "ring",
      compat: "varnish",
      ...(s.by === "HASH" && !s.inRecv ? {} : { hash: "url" }),
      ...(s.replicas ? { replicas: s.replicas } : {}),
      nodes: s.nodes.map((n) => ({ id: id(n), ...(n.weight ? { weight: n.weight } : {}) })),
    });
    const keys = makeKeys(N);
    const reqs = paths.map((p, i) => ({ path: p, headers: { host: hostsOf(i), "x-key": keys[i] } }));
    const routerKeys = paths.map((p, i) => (s.by === "HASH" && !s.inRecv ? `${p}\0${hostsOf(i)}\0` : s.by === "KEY" ? keys[i] : p));
    // shard_lookup does not wrap: a key above the last point goes to that point's backend, not to the first
    // point's. With by=URL, add 20 URLs above the last point.
    const ring = r.ringPoints();
    if (s.wrap && ring) {
      const top = Math.max(...ring.positions);
      const last = ring.owners[ring.positions.indexOf(top)];
      const first = ring.owners[ring.positions.indexOf(Math.min(...ring.positions))];
      assert.notEqual(last, first);
      let added = 0;
      for (let i = 0; added < 20; i++) {
        const p = `/wrap-${i}`;
        if (r.keyPosition(p) <= top) continue;
        reqs.push({ path: p, headers: { host: "a", "x-key": p } });
        routerKeys.push(p);
        added++;
      }
      console.log(`varnish ${s.what}: 20 URLs above the last point (owned by ${last}; the first point's is ${first})`);
    }
    const proc = await startVarnish(vp, vcl);
    const observedOrigin = await ask(vp, reqs);
    const byOrigin = new Map(s.nodes.map((n) => [`${HOSTS[n.k]}:${port}`, id(n)]));
    const observed = observedOrigin.map((o) => byOrigin.get(o) ?? o);
    if (s.alt) {
      const bad = routerKeys.filter((k, i) => r.pickN(k, 2)[1] !== observed[i]).length;
      console.log(`varnish ${s.what}: ${routerKeys.length - bad}/${routerKeys.length} keys agree with pickN(key, 2)[1], ${bad} differ`);
      assert.equal(bad, 0);
    } else if (s.sick !== undefined) checkSick(r, s, id(s.nodes.find((n) => n.k === s.sick)), routerKeys, observed);
    else agree(r, routerKeys, observed, `varnish ${s.what}`);
    r.free();
    await stop(proc);
  }
});

test("varnish: hash director, equal and unequal weights, 3 to 10 backends, one removed, two strands, unhealthy", async () => {
  const port = await freePort();
  for (const h of HOSTS) await startOrigin(`${h}:${port}`, h, port);
  // Raw UTF-8, percent-encoded and punctuated paths; the keys of x-key are makeKeys' shapes (2- to 4-byte UTF-8).
  const paths = makeKeys(N, "-h").map((k, i) => `/${i % 3 === 0 ? encodeURI(k) : k.replace(/[#%\\"`^{}|<> ]/g, encodeURIComponent)}`);
  const hostsOf = (i) => ["example.com", "cdn.example.org:8080", "ünï.example", "a"][i % 4];
  const keys = makeKeys(N, "-k");
  // `arg` is h.backend()'s argument in vcl_backend_fetch; `key(i)` the Router key for request i.
  const url = { arg: "bereq.url", key: (i) => paths[i] };
  const scenarios = [
    { what: "hash director, 3 backends, equal weights, the URL", ...url, nodes: [0, 1, 2].map((k) => ({ k })) },
    { what: "hash director, 10 backends, unequal weights, x-key", arg: "bereq.http.x-key", key: (i) => keys[i], nodes: [...Array(10).keys()].map((k) => ({ k, weight: [1, 2, 0.5, 3, 1, 1.25, 2.75, 1, 4, 0.1][k] })) },
    { what: "hash director, 7 backends, weights, remove_backend(b2)", ...url, remove: 2, nodes: [...Array(7).keys()].map((k) => ({ k, weight: 1 + (k % 3) })) },
    { what: "hash director, 5 backends, two strands (URL + Host)", arg: "bereq.url + bereq.http.host", key: (i) => paths[i] + hostsOf(i), nodes: [0, 1, 2, 3, 4].map((k) => ({ k, weight: k + 1 })) },
    { what: "hash director, 6 backends, weights, an unhealthy backend", ...url, sick: 3, nodes: [0, 1, 2, 3, 4, 5].map((k) => ({ k, weight: [2, 1, 1.5, 3, 1, 2][k] })) },
  ];
  for (const s of only(scenarios)) {
    const vp = await freePort();
    let vcl = await backends(s, port);
    vcl += "sub vcl_init {\n  new h = directors.hash();\n";
    for (const n of s.nodes) vcl += `  h.add_backend(b${n.k}${n.weight ? `, ${n.weight}` : ", 1.0"});\n`;
    if (s.remove !== undefined) vcl += `  h.remove_backend(b${s.remove});\n`;
    vcl += `}\nsub vcl_recv {\n  return (pass);\n}\nsub vcl_backend_fetch {\n  set bereq.backend = h.backend(${s.arg});\n}\n`;
    const r = new Router({
      strategy: "hash",
      compat: "varnish",
      nodes: s.nodes.map((n) => ({ id: `b${n.k}`, ...(n.weight ? { weight: n.weight } : {}) })),
    });
    if (s.remove !== undefined) r.remove(`b${s.remove}`);
    const reqs = paths.map((p, i) => ({ path: p, headers: { host: hostsOf(i), "x-key": keys[i] } }));
    const routerKeys = paths.map((_, i) => s.key(i));
    const proc = await startVarnish(vp, vcl);
    const observedOrigin = await ask(vp, reqs);
    const byOrigin = new Map(s.nodes.map((n) => [`${HOSTS[n.k]}:${port}`, `b${n.k}`]));
    const observed = observedOrigin.map((o) => byOrigin.get(o) ?? o);
    if (s.sick !== undefined) checkSick(r, s, `b${s.sick}`, routerKeys, observed);
    else agree(r, routerKeys, observed, `varnish ${s.what}`);
    r.free();
    await stop(proc);
  }
});
