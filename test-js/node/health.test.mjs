// Health and failover scenarios in Node, with real origins on loopback, through the packed package.
import test from "node:test";
import assert from "node:assert/strict";
import v8 from "node:v8";
import vm from "node:vm";
import { Router, routedFetch } from "edgeroute";
import { startOrigins } from "../shared/origins.mjs";
import { SCENARIOS } from "../shared/scenarios.js";

const origins = await startOrigins(["a", "b", "c", "d"]);
test.after(() => origins.close());

// A real garbage collection, without a command-line flag: scenarios that must hold whatever the GC does call it.
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc");

for (const [name, run] of Object.entries(SCENARIOS)) {
  test(name, async () => {
    const r = await run({ Router, routedFetch, origins, gc });
    assert.deepEqual(r.failures, []);
    console.log(`${name}: ${JSON.stringify({ ...r, failures: undefined })}`);
  });
}

test("routedFetch rejects unknown and bad options", async () => {
  const r = new Router({ strategy: "ring", nodes: [{ id: origins.urls[0] }] });
  await assert.rejects(routedFetch(r, "http://x/", { retries: 2 }), { code: "ERR_UNKNOWN_OPTION" });
  await assert.rejects(routedFetch(r, "http://x/", { timeoutMs: -1 }), { code: "ERR_INVALID_OPTION" });
  await assert.rejects(routedFetch(r, "http://x/", { attempts: 1.5 }), { code: "ERR_INVALID_OPTION" });
});

test("routedFetch takes an AbortSignal of another realm", async () => {
  const r = new Router({ strategy: "ring", nodes: [{ id: origins.urls[0] }] });
  // A signal-shaped object of a vm context, as an iframe's AbortSignal would be: not an instance of ours.
  const other = vm.runInNewContext("({ aborted: false, reason: undefined, addEventListener() {}, removeEventListener() {} })");
  const res = await routedFetch(r, "http://x/realm", { signal: other });
  assert.equal(res.status, 200);
  await res.text();
});
