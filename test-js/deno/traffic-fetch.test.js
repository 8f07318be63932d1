// routedFetch's hedging, retry budget, session affinity and zone option, and the Router's zones, priority levels and
// slow start, in Deno (origins through Deno's node:http).
import assert from "node:assert/strict";
import { Router, routedFetch } from "edgeroute";
import { startOrigins } from "../shared/origins.mjs";
import { TRAFFIC_SCENARIOS, control } from "../shared/traffic-fetch.js";
import { ROUTER_SCENARIOS, ZONE_ORIGINS } from "../shared/traffic-router.js";

// routedFetch's scenarios on four origins, the Router's zones, priorities and slow start on their own fourteen.
const SUITES = [
  [TRAFFIC_SCENARIOS, ["a", "b", "c", "d"]],
  [ROUTER_SCENARIOS, ZONE_ORIGINS],
];
for (const [name, run, names] of SUITES.flatMap(([s, names]) => Object.entries(s).map(([n, run]) => [n, run, names]))) {
  Deno.test({
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const started = await startOrigins(names);
      try {
        const r = await run({ Router, routedFetch, origins: control(started) });
        assert.deepEqual(r.failures, []);
        console.log(`${name}: ${JSON.stringify({ ...r, failures: undefined })}`);
      } finally {
        await started.close();
      }
    },
  });
}
