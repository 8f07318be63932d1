// The same health and failover scenarios in Deno (origins through Deno's node:http).
import assert from "node:assert/strict";
import { Router, routedFetch } from "edgeroute";
import { startOrigins } from "../shared/origins.mjs";
import { SCENARIOS } from "../shared/scenarios.js";

for (const [name, run] of Object.entries(SCENARIOS)) {
  Deno.test({
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const origins = await startOrigins(["a", "b", "c", "d"]);
      try {
        const r = await run({ Router, routedFetch, origins });
        assert.deepEqual(r.failures, []);
      } finally {
        await origins.close();
      }
    },
  });
}
