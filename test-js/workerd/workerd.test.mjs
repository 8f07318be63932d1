// The packed package in workerd: bundled by wrangler (resolving the "workerd" export condition and the .wasm
// module import, as `wrangler deploy` does) and run by Miniflare, which drives the real workerd binary.
import test from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Miniflare } from "miniflare";
import { Router } from "edgeroute";
import { startOrigins } from "../shared/origins.mjs";

const proj = path.resolve(import.meta.dirname, "../..");
const wrangler = process.env.WRANGLER_BIN;
const COMPAT = "2026-04-01";

function bundle(entry, name) {
  const outdir = path.join(proj, ".dist", name);
  fs.rmSync(outdir, { recursive: true, force: true });
  execFileSync(
    wrangler,
    ["deploy", "--dry-run", "--outdir", outdir, "--name", name, "--compatibility-date", COMPAT, entry],
    { cwd: proj, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  const files = fs.readdirSync(outdir);
  assert.ok(files.some((f) => f.endsWith(".wasm")), `wrangler did not emit the wasm module: ${files}`);
  return path.join(outdir, path.basename(entry));
}

function worker(scriptPath, bindings = {}) {
  return new Miniflare({
    modules: true,
    scriptPath,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: COMPAT,
    bindings,
  });
}

test("golden vectors, bad input and strategies inside workerd", async () => {
  const mf = worker(bundle("test/workerd/golden-worker.js", "golden"));
  try {
    const res = await mf.dispatchFetch("http://localhost/");
    assert.equal(res.status, 200);
    const r = await res.json();
    assert.deepEqual(r.golden.failures, []);
    assert.ok(r.golden.passed >= 200);
    assert.deepEqual(r.errors.failures, []);
    assert.deepEqual(r.strategies.failures, []);
    assert.ok(["a", "b"].includes(r.globalScopePick));
  } finally {
    await mf.dispose();
  }
});

test("examples/worker.js routes each path to its ring origin", async () => {
  const origins = await startOrigins(["a", "b", "c"]);
  const mf = worker(bundle("examples/worker.js", "example"), { ORIGINS: JSON.stringify(origins.urls) });
  try {
    const twin = new Router({ strategy: "ring", nodes: origins.urls.map((id) => ({ id })) });
    const seen = new Set();
    for (let i = 0; i < 90; i++) {
      const p = `/img/${i}.png`;
      const res = await mf.dispatchFetch(`http://edge.test${p}?w=64`);
      const want = twin.pick(p);
      assert.equal(res.headers.get("x-edgeroute-origin"), want);
      assert.equal(await res.text(), `${origins.byUrl[want]} ${p}?w=64`);
      seen.add(want);
    }
    assert.equal(seen.size, 3);
  } finally {
    await mf.dispose();
    await origins.close();
  }
});
