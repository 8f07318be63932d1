// routedFetch's hedging, retry budget, session affinity and zone option, and the Router's zones, priority levels and
// slow start, in Node, with real origins on loopback,
// through the packed package (test-js/shared/traffic-fetch.js; figures in docs/traffic.md).
import test from "node:test";
import assert from "node:assert/strict";
import v8 from "node:v8";
import vm from "node:vm";
import { Router, routedFetch } from "edgeroute";
import { startOrigins } from "../shared/origins.mjs";
import { TRAFFIC_SCENARIOS, control } from "../shared/traffic-fetch.js";
import { ROUTER_SCENARIOS, ZONE_ORIGINS } from "../shared/traffic-router.js";

// Both sets of origins start before any test is registered: a test starts running as soon as it is registered.
const started = await startOrigins(["a", "b", "c", "d"]);
const zoned = await startOrigins(ZONE_ORIGINS);
test.after(() => Promise.all([started.close(), zoned.close()]));
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

// Zones, priority levels and slow start through routedFetch (test-js/shared/traffic-router.js), on their own origins.
for (const [name, run] of Object.entries(ROUTER_SCENARIOS)) {
  test(name, async () => {
    const r = await run({ Router, routedFetch, origins: control(zoned) });
    assert.deepEqual(r.failures, []);
    console.log(`${name}: ${JSON.stringify({ ...r, failures: undefined })}`);
  });
}
