// routedFetch's hedging, retry budget, session affinity and zone option in Node, with real origins on loopback,
// through the packed package (test-js/shared/traffic-fetch.js; figures in docs/traffic.md).
import test from "node:test";
import assert from "node:assert/strict";
import v8 from "node:v8";
import vm from "node:vm";
import { Router, routedFetch } from "edgeroute";
import { startOrigins } from "../shared/origins.mjs";
import { TRAFFIC_SCENARIOS, control } from "../shared/traffic-fetch.js";

const started = await startOrigins(["a", "b", "c", "d"]);
test.after(() => started.close());
const origins = control(started);

// A real garbage collection without a command-line flag, for the Request dropped mid-hedge.
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc");

for (const [name, run] of Object.entries(TRAFFIC_SCENARIOS)) {
  test(name, async () => {
    const r = await run({ Router, routedFetch, origins, gc });
    assert.deepEqual(r.failures, []);
    console.log(`${name}: ${JSON.stringify({ ...r, failures: undefined })}`);
  });
}
