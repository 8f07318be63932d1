// The packed package in workerd: bundled by wrangler (resolving the "workerd" export condition and the .wasm
// module import, as `wrangler deploy` does) and run by Miniflare, which drives the real workerd binary.
import test from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { Miniflare } from "miniflare";
import { Router } from "edgeroute";
import { startOrigins } from "../shared/origins.mjs";
import { TRAFFIC_SCENARIOS } from "../shared/traffic-fetch.js";
import { ROUTER_SCENARIOS, ZONE_ORIGINS } from "../shared/traffic-router.js";

const proj = path.resolve(import.meta.dirname, "../..");
const wrangler = process.env.WRANGLER_BIN;
const COMPAT = "2026-04-01";

function bundle(entry, name) {
  const outdir = path.join(proj, ".dist", name);
  fs.rmSync(outdir, { recursive: true, force: true });
  execFileSync(
    wrangler,
    ["deploy", "--dry-run", "--outdir", outdir, "--name", name, "--compatibility-date", COMPAT, entry],
    { cwd: proj, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  const files = fs.readdirSync(outdir);
  assert.ok(files.some((f) => f.endsWith(".wasm")), `wrangler did not emit the wasm module: ${files}`);
  return path.join(outdir, path.basename(entry));
}

function worker(scriptPath, bindings = {}) {
  return new Miniflare({
    modules: true,
    scriptPath,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: COMPAT,
    bindings,
  });
}

test("golden vectors, bad input and strategies inside workerd", async () => {
  const mf = worker(bundle("test/workerd/golden-worker.js", "golden"));
  try {
    const res = await mf.dispatchFetch("http://localhost/");
    assert.equal(res.status, 200);
    const r = await res.json();
    assert.deepEqual(r.golden.failures, []);
    assert.ok(r.golden.passed >= 200);
    assert.deepEqual(r.errors.failures, []);
    assert.deepEqual(r.strategies.failures, []);
    assert.deepEqual(r.reentrance.failures, []);
    assert.equal(r.hostile.length, 3);
    for (const h of r.hostile) assert.deepEqual(h.failures, []);
    assert.ok(["a", "b"].includes(r.globalScopePick));
  } finally {
    await mf.dispose();
  }
});

test("examples/worker.js routes each path to its ring origin", async () => {
  const origins = await startOrigins(["a", "b", "c"]);
  const mf = worker(bundle("examples/worker.js", "example"), { ORIGINS: JSON.stringify(origins.urls) });
  try {
    const twin = new Router({ strategy: "ring", nodes: origins.urls.map((id) => ({ id })) });
    const seen = new Set();
    for (let i = 0; i < 90; i++) {
      const p = `/img/${i}.png`;
      const res = await mf.dispatchFetch(`http://edge.test${p}?w=64`);
      const want = twin.pick(p);
      assert.equal(res.headers.get("x-edgeroute-origin"), want);
      assert.equal(await res.text(), `${origins.byUrl[want]} ${p}?w=64`);
      seen.add(want);
    }
    assert.equal(seen.size, 3);
  } finally {
    await mf.dispose();
    await origins.close();
  }
});

test("examples/worker-metrics.js proxies with routedFetch and serves /metrics in the text format", async () => {
  const origins = await startOrigins(["a", "b", "c"]);
  const mf = worker(bundle("examples/worker-metrics.js", "example-metrics"), { ORIGINS: JSON.stringify(origins.urls), METRICS_TOKEN: "s3cret" });
  try {
    const twin = new Router({ strategy: "ring", nodes: origins.urls.map((id) => ({ id })) });
    const want = new Map(origins.urls.map((u) => [u, 0]));
    for (let i = 0; i < 30; i++) {
      const p = `/img/${i}.png`;
      const res = await mf.dispatchFetch(`http://edge.test${p}`);
      assert.equal(await res.text(), `${origins.byUrl[twin.pick(p)]} ${p}`);
      want.set(twin.pick(p), want.get(twin.pick(p)) + 1);
    }
    assert.equal((await mf.dispatchFetch("http://edge.test/metrics")).status, 401);
    assert.equal((await mf.dispatchFetch("http://edge.test/metrics", { headers: { authorization: "Bearer wrong!" } })).status, 401);
    const res = await mf.dispatchFetch("http://edge.test/metrics", { headers: { authorization: "Bearer s3cret" } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const text = await res.text();
    assert.match(text, /^# HELP edgeroute_node_picks_total /);
    const picks = new Map();
    for (const m of text.matchAll(/^edgeroute_node_picks_total\{isolate="([0-9a-f-]{36})",node="([^"]+)"\} (\d+)$/gm)) picks.set(m[2], Number(m[3]));
    assert.deepEqual(picks, want);
    assert.match(text, /^edgeroute_requests_total\{isolate="[0-9a-f-]{36}",result="response"\} 30$/m);
    assert.match(text, /^edgeroute_request_duration_seconds_count\{isolate="[0-9a-f-]{36}"\} 30$/m);
  } finally {
    await mf.dispose();
    await origins.close();
  }
});

test("routedFetch inside workerd: no request lost, failover in pickN order, ejection", async () => {
  const origins = await startOrigins(["a", "b", "c", "d"]);
  const mf = worker(bundle("test/workerd/fetch-worker.js", "fetch"), { ORIGINS: JSON.stringify(origins.urls) });
  const get = (p) => mf.dispatchFetch(`http://edge.test${p}`);
  try {
    // Only a answers well: every request still gets a good response.
    origins.set("b", "503");
    origins.set("c", "drop");
    origins.set("d", "503");
    for (let i = 0; i < 40; i++) {
      const res = await get(`/w/${i}`);
      assert.equal(res.status, 200, `request ${i}`);
      assert.equal((await res.text()).split(" ")[0], "a");
    }
    // b, c and d were ejected along the way (consecutiveFailures 3), at most half the pool (2 of 4).
    const stats = await (await get("/__stats")).json();
    const ejected = stats.filter((s) => s.state === "ejected").map((s) => origins.byUrl[s.id]);
    assert.equal(ejected.length, 2, `ejected ${ejected}`);
    assert.ok(!ejected.includes("a"));
    // Everyone healthy again: the origins tried follow pickN. Health is reset before each key, so failures
    // staged for one key cannot eject an origin and change the next key's order.
    for (const n of ["a", "b", "c", "d"]) origins.set(n, "ok");
    for (let i = 0; i < 6; i++) {
      await (await get("/__markUpAll")).text();
      const key = `/order/${i}`;
      const order = (await (await get(`/__pickN?key=${encodeURIComponent(key)}`)).json()).map((u) => origins.byUrl[u]);
      for (const n of order) origins.set(n, "503");
      origins.set(order[order.length - 1], "ok");
      origins.log.length = 0;
      const res = await get(key);
      assert.equal(res.status, 200);
      const tried = origins.log.filter((l) => l.path === key).map((l) => l.name);
      assert.deepEqual(tried, order);
      for (const n of order) origins.set(n, "ok");
    }
    // All fail: one clear error listing the attempts.
    for (const n of ["a", "b", "c", "d"]) origins.set(n, "503");
    const res = await get("/all-fail");
    assert.equal(res.status, 502);
    const body = await res.json();
    assert.equal(body.code, "ERR_ALL_ATTEMPTS_FAILED");
    assert.ok(body.attempts.length >= 1 && body.attempts.every((a) => a.status === 503));
  } finally {
    await mf.dispose();
    await origins.close();
  }
});

test("routedFetch inside workerd: timeouts, the caller's signal, the body's deadline, coded errors", async () => {
  const origins = await startOrigins(["a", "b"]);
  const mf = worker(bundle("test/workerd/fetch-worker.js", "fetch-probe"), { ORIGINS: JSON.stringify(origins.urls) });
  const [a, b] = origins.urls;
  // Each run must settle: a bound far above any run's time, so that a hang fails the test instead of stalling it.
  const probe = async (q) => {
    let timer;
    const late = new Promise((r) => (timer = setTimeout(() => r({ pending: true }), 15_000)));
    const run = mf.dispatchFetch(`http://edge.test/__probe?q=${encodeURIComponent(JSON.stringify(q))}`).then((res) => res.json());
    try {
      return await Promise.race([run, late]);
    } finally {
      clearTimeout(timer);
    }
  };
  try {
    origins.set("a", "hang");
    const hang = await probe({ nodes: [a], path: "/wp/hang", options: { timeoutMs: 200, deadlineMs: 500 } });
    assert.equal(hang.error?.code, "ERR_ALL_ATTEMPTS_FAILED", JSON.stringify(hang));
    assert.match(hang.error.attempts[0].error, /^timeout/);
    assert.equal(hang.inflight, 0);

    origins.set("a", "ok");
    const before = origins.started;
    const pre = await probe({ nodes: [a], path: "/wp/pre", abort: "before" });
    assert.ok(pre.isReason, JSON.stringify(pre));
    assert.equal(origins.started, before, "a pre-aborted request reached the origin");

    origins.set("a", "stall-body");
    const mid = await probe({ nodes: [a], path: "/wp/mid", abort: "mid-body", options: { deadlineMs: 60_000 } });
    assert.ok(mid.isReason && mid.inflightAtHeaders === 1 && mid.inflight === 0, JSON.stringify(mid));

    const stall = await probe({ nodes: [a], path: "/wp/stall", options: { deadlineMs: 500 } });
    assert.equal(stall.error?.code, "ERR_DEADLINE_EXCEEDED", JSON.stringify(stall));
    assert.equal(stall.status, 200);
    assert.equal(stall.url, `${a}/wp/stall`);
    assert.equal(stall.type, "text/plain");
    assert.ok(stall.stats[0].failures === 1 && stall.inflight === 0, JSON.stringify(stall.stats));

    origins.set("a", "die-mid-body", 30);
    const die = await probe({ nodes: [a], path: "/wp/die" });
    assert.equal(die.error?.code, "ERR_BODY_INTERRUPTED", JSON.stringify(die));
    assert.ok(die.error.hasCause && die.stats[0].failures === 1 && die.stats[0].successes === 0 && die.inflight === 0);

    origins.set("a", "slow-body", 50);
    const slow = await probe({ nodes: [a], path: "/wp/slow", options: { deadlineMs: 10_000 } });
    assert.ok(slow.body?.endsWith("x".repeat(1000)) && slow.stats[0].successes === 1 && slow.inflight === 0, JSON.stringify(slow));

    // A node id that is not a URL is refused with a code, and the next origin serves.
    const ids = ["not a url", b];
    const twin = new Router({ strategy: "ring", nodes: ids.map((id) => ({ id })) });
    const path = Array.from({ length: 300 }, (_, i) => `/wp/inv/${i}`).find((p) => twin.pick(p) === ids[0]);
    const inv = await probe({ nodes: ids, path });
    assert.ok(inv.status === 200 && inv.body.startsWith("b ") && inv.url.startsWith(b), JSON.stringify(inv));
    const allBad = await probe({ nodes: ["not a url"], path: "/wp/inv" });
    assert.equal(allBad.error?.attempts?.[0]?.code, "ERR_INVALID_ORIGIN", JSON.stringify(allBad));

    for (const [bad, code] of [["router", "ERR_INVALID_ARGUMENT"], ["request", "ERR_INVALID_ARGUMENT"], ["signal", "ERR_INVALID_OPTION"]]) {
      const out = await probe({ nodes: [b], path: "/wp/bad", bad });
      assert.equal(out.error?.code, code, `${bad}: ${JSON.stringify(out)}`);
    }
  } finally {
    await mf.dispose();
    await origins.close();
  }
});

/** Runs each scenario of `scenarios` in the traffic Worker, with origins named `names` in this process. */
async function trafficInWorkerd(scenarios, names) {
  const origins = await startOrigins(names);
  // The Worker drives the origins through this: /set?name&mode&delayMs, and /view (their log and counters).
  const control = http.createServer((req, res) => {
    const u = new URL(req.url, "http://control");
    if (u.pathname === "/set") origins.set(u.searchParams.get("name"), u.searchParams.get("mode"), Number(u.searchParams.get("delayMs")));
    res.writeHead(200, { "content-type": "application/json" });
    res.end(u.pathname === "/view" ? JSON.stringify({ log: origins.log, open: origins.open, started: origins.started }) : "{}");
  });
  await new Promise((r) => control.listen(0, "127.0.0.1", r));
  const CONTROL = `http://127.0.0.1:${control.address().port}`;
  const mf = worker(bundle("test/workerd/traffic-worker.js", "traffic"), { ORIGINS: JSON.stringify(origins.urls), NAMES: JSON.stringify(names), CONTROL });
  try {
    for (const name of Object.keys(scenarios)) {
      const r = await (await mf.dispatchFetch(`http://edge.test/?scenario=${name}`)).json();
      assert.deepEqual(r.failures, [], name);
      console.log(`workerd ${name}: ${JSON.stringify({ ...r, failures: undefined })}`);
    }
  } finally {
    await mf.dispose();
    control.closeAllConnections();
    control.close();
    await origins.close();
  }
}

test("routedFetch traffic inside workerd: hedges, the retry budget, affinity, zone, bad options", () =>
  trafficInWorkerd(TRAFFIC_SCENARIOS, ["a", "b", "c", "d"]));

test("zones, priority levels and slow start inside workerd, through routedFetch", () => trafficInWorkerd(ROUTER_SCENARIOS, ZONE_ORIGINS));
