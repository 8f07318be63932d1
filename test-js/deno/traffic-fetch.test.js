// routedFetch's hedging, retry budget, session affinity and zone option in Deno (origins through Deno's node:http).
import assert from "node:assert/strict";
import { Router, routedFetch } from "edgeroute";
import { startOrigins } from "../shared/origins.mjs";
import { TRAFFIC_SCENARIOS, control } from "../shared/traffic-fetch.js";

for (const [name, run] of Object.entries(TRAFFIC_SCENARIOS)) {
  Deno.test({
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const started = await startOrigins(["a", "b", "c", "d"]);
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
