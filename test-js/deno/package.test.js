// The packed package from Deno (npm package `deno`), resolved through package.json + node_modules.
import assert from "node:assert/strict";
import { Router, EdgerouteError, version } from "edgeroute";
import golden from "../golden/vectors.json" with { type: "json" };
import messages from "../shared/error-messages.json" with { type: "json" };
import { goldenChecks, errorChecks, strategyChecks } from "../shared/checks.js";
import { hostileChecks, reentranceChecks, stackExhaustionChecks } from "../shared/hostile.js";

Deno.test("edgeroute resolves to the deno entry", () => {
  assert.match(import.meta.resolve("edgeroute"), /edgeroute\/deno\.js$/);
  assert.match(version, /^\d+\.\d+\.\d+/);
});

Deno.test("golden ring vectors", () => {
  const r = goldenChecks(Router, golden);
  assert.deepEqual(r.failures, []);
  assert.ok(r.passed >= 200);
});

Deno.test("re-entrance and hostile values at the boundary", () => {
  assert.deepEqual(reentranceChecks(Router, EdgerouteError).failures, []);
  for (const seed of [11, 12, 13]) assert.deepEqual(hostileChecks(Router, EdgerouteError, { seed, ops: 2000 }).failures, []);
  assert.deepEqual(stackExhaustionChecks(Router, EdgerouteError, 10).failures, []);
});

Deno.test("bad input and strategies", () => {
  assert.deepEqual(errorChecks(Router, EdgerouteError, messages).failures, []);
  assert.deepEqual(strategyChecks(Router).failures, []);
});

function origin(name) {
  const ac = new AbortController();
  let resolve;
  const ready = new Promise((r) => (resolve = r));
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: ({ port }) => resolve(`http://127.0.0.1:${port}`) },
    (req) => new Response(`${name} ${new URL(req.url).pathname}`),
  );
  return { ready, stop: async () => { ac.abort(); await server.finished; } };
}

async function freePort() {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = l.addr;
  l.close();
  return port;
}

Deno.test("examples/deno.ts proxies each path to its ring origin and fails over", async () => {
  const a = origin("a");
  const b = origin("b");
  const urls = [await a.ready, await b.ready];
  const names = { [urls[0]]: "a", [urls[1]]: "b" };
  const port = await freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env", "examples/deno.ts"],
    env: { ORIGINS: JSON.stringify(urls), PORT: String(port) },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  try {
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        await (await fetch(base + "/ping")).text();
        break;
      } catch (e) {
        if (i > 100) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const twin = new Router({ strategy: "ring", nodes: urls.map((id) => ({ id })) });
    const seen = new Set();
    for (let i = 0; i < 60; i++) {
      const path = `/asset/${i}`;
      const res = await fetch(base + path);
      const body = await res.text();
      const want = twin.pick(path);
      assert.equal(res.headers.get("x-edgeroute-origin"), want);
      assert.equal(body, `${names[want]} ${path}`);
      seen.add(want);
    }
    assert.equal(seen.size, 2, "both origins should own some of 60 paths");
    // Origin a goes away: its paths fail over to b, in pickN order.
    await a.stop();
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${base}/asset/${i}`);
      assert.equal(await res.text(), `b /asset/${i}`);
    }
  } finally {
    child.kill();
    await child.status;
    await b.stop();
  }
});
