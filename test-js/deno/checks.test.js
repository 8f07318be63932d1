// Active health checks (checkHealth) in Deno: the shared scenarios, origins through Deno's node:http (one set for
// every scenario, each of which leaves them answering "ok"; the last test closes them).
import assert from "node:assert/strict";
import { Router, checkHealth } from "edgeroute";
import { startOrigins } from "../shared/origins.mjs";
import { ROUND_SCENARIOS, LOCAL_SCENARIOS, localPool } from "../shared/active-checks.js";

const origins = await startOrigins(["a", "b", "c", "d"]);
const env = { pool: localPool(Router, checkHealth), origins, Router, checkHealth };
const options = { sanitizeOps: false, sanitizeResources: false };

for (const [name, run] of [...Object.entries(ROUND_SCENARIOS), ...Object.entries(LOCAL_SCENARIOS)]) {
  Deno.test({ name, ...options }, async () => {
    const r = await run(env);
    assert.deepEqual(r.failures, []);
    console.log(`${name}: ${JSON.stringify({ ...r, failures: undefined })}`);
  });
}
Deno.test({ name: "close the origins", ...options }, () => origins.close());
