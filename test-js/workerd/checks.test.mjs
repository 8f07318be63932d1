// Active health checks inside workerd (wrangler bundle, Miniflare): the shared round scenarios against loopback
// origins, with each round run by the Worker's `scheduled` handler (a cron trigger's path) and again from its
// fetch handler, and the scenarios that need no origin run inside the Worker.
import test from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Miniflare } from "miniflare";
import { startOrigins } from "../shared/origins.mjs";
import { ROUND_SCENARIOS } from "../shared/active-checks.js";

const proj = path.resolve(import.meta.dirname, "../..");
const COMPAT = "2026-04-01";
const outdir = path.join(proj, ".dist", "checks");
fs.rmSync(outdir, { recursive: true, force: true });
execFileSync(
  process.env.WRANGLER_BIN,
  ["deploy", "--dry-run", "--outdir", outdir, "--name", "checks", "--compatibility-date", COMPAT, "test/workerd/checks-worker.js"],
  { cwd: proj, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
);
const mf = new Miniflare({
  modules: true,
  scriptPath: path.join(outdir, "checks-worker.js"),
  modulesRules: [
    { type: "ESModule", include: ["**/*.js"] },
    { type: "CompiledWasm", include: ["**/*.wasm"] },
  ],
  compatibilityDate: COMPAT,
});
const origins = await startOrigins(["a", "b", "c", "d"]);
test.after(async () => {
  await mf.dispose();
  await origins.close();
});

/** Calls the Worker's pool endpoint; a round's rejection comes back as { error } and is rethrown here. */
async function call(what, body, id, forMs) {
  const q = new URLSearchParams(Object.entries({ id, forMs }).filter(([, v]) => v !== undefined));
  const url = `http://edge.test/__pool/${what}?${q}`;
  const res = await mf.dispatchFetch(url, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
  assert.equal(res.status, 200, `${what}: ${res.status}`);
  const out = await res.json();
  if (out?.error) throw Object.assign(new Error(out.error.message), out.error);
  return out;
}

/** A Pool (test-js/shared/active-checks.js) inside the Worker; `scheduled`: rounds run by its scheduled handler. */
function remotePool(scheduled) {
  return async (ids) => {
    await call("new", ids);
    const worker = await mf.getWorker();
    return {
      round: async (options = {}) => {
        if (!scheduled) return call("round", options);
        await call("options", options);
        const r = await worker.scheduled({ cron: "* * * * *" });
        assert.equal(r.outcome, "ok");
        return call("lastScheduled");
      },
      stats: () => call("stats"),
      picks: (keys) => call("picks", keys),
      markDown: (id, forMs) => call("markDown", undefined, id, forMs),
      markUp: (id) => call("markUp", undefined, id),
      remove: (id) => call("remove", undefined, id),
      add: (id) => call("add", undefined, id),
    };
  };
}

for (const scheduled of [true, false]) {
  for (const [name, run] of Object.entries(ROUND_SCENARIOS)) {
    test(`${name} (workerd, ${scheduled ? "scheduled handler" : "fetch handler"})`, async () => {
      const r = await run({ pool: remotePool(scheduled), origins });
      assert.deepEqual(r.failures, []);
      console.log(`${name} (workerd${scheduled ? ", scheduled" : ""}): ${JSON.stringify({ ...r, failures: undefined })}`);
    });
  }
}

test("bad inputs and hostile rounds inside workerd", async () => {
  const out = await (await mf.dispatchFetch("http://edge.test/__local")).json();
  for (const [name, r] of Object.entries(out)) {
    assert.deepEqual(r.failures, [], name);
    assert.ok(r.passed > 10, name);
  }
});
