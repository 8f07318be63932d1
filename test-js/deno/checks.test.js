// Active health checks (checkHealth) in Deno: the shared scenarios, origins through Deno's node:http.
import assert from "node:assert/strict";
import { Router, checkHealth } from "edgeroute";
import { startOrigins } from "../shared/origins.mjs";
import { ROUND_SCENARIOS, LOCAL_SCENARIOS, localPool } from "../shared/active-checks.js";

for (const [name, run] of Object.entries(ROUND_SCENARIOS)) {
  Deno.test({
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const origins = await startOrigins(["a", "b", "c", "d"]);
      try {
        const r = await run({ pool: localPool(Router, checkHealth), origins });
        assert.deepEqual(r.failures, []);
        console.log(`${name}: ${JSON.stringify({ ...r, failures: undefined })}`);
      } finally {
        await origins.close();
      }
    },
  });
}

for (const [name, run] of Object.entries(LOCAL_SCENARIOS)) {
  Deno.test({ name, sanitizeOps: false, sanitizeResources: false, fn: async () => assert.deepEqual((await run({ Router, checkHealth })).failures, []) });
}
