// Active health checks (checkHealth) in Node, with real origins on loopback, through the packed package: the
// shared scenarios of test-js/shared/active-checks.js, through import and require.
import test from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { Router, checkHealth } from "edgeroute";
import { startOrigins } from "../shared/origins.mjs";
import { ROUND_SCENARIOS, LOCAL_SCENARIOS, localPool } from "../shared/active-checks.js";

const origins = await startOrigins(["a", "b", "c", "d"]);
test.after(() => origins.close());

for (const [name, run] of Object.entries(ROUND_SCENARIOS)) {
  test(name, async () => {
    const r = await run({ pool: localPool(Router, checkHealth), origins });
    assert.deepEqual(r.failures, []);
    console.log(`${name}: ${JSON.stringify({ ...r, failures: undefined })}`);
  });
}

for (const [name, run] of Object.entries(LOCAL_SCENARIOS)) {
  test(name, async () => {
    const r = await run({ Router, checkHealth });
    assert.deepEqual(r.failures, []);
  });
}

test("require: checkHealth of the CommonJS entry feeds its Router's stats()", async () => {
  const cjs = createRequire(import.meta.url)("edgeroute");
  assert.equal(typeof cjs.checkHealth, "function");
  for (const [name, run] of Object.entries(LOCAL_SCENARIOS)) {
    const r = await run({ Router: cjs.Router, checkHealth: cjs.checkHealth });
    assert.deepEqual(r.failures, [], name);
  }
});
