// The packed package from Node, through `require` (CommonJS glue, same wasm).
const test = require("node:test");
const assert = require("node:assert/strict");
const { readFileSync } = require("node:fs");
const path = require("node:path");
const { Router, EdgerouteError, version } = require("edgeroute");

const golden = JSON.parse(readFileSync(path.join(__dirname, "../golden/vectors.json"), "utf8"));

test("require resolves the node CJS entry", () => {
  assert.match(require.resolve("edgeroute"), /node_modules\/edgeroute\/node\.cjs$/);
  assert.match(version, /^\d+\.\d+\.\d+/);
});

test("golden ring vectors, errors and strategies through require", async () => {
  const { goldenChecks, errorChecks, strategyChecks } = await import("../shared/checks.js");
  const g = goldenChecks(Router, golden);
  assert.deepEqual(g.failures, []);
  assert.ok(g.passed >= 200);
  const messages = JSON.parse(readFileSync(path.join(__dirname, "../shared/error-messages.json"), "utf8"));
  assert.deepEqual(errorChecks(Router, EdgerouteError, messages).failures, []);
  assert.deepEqual(strategyChecks(Router).failures, []);
});

test("ESM and CJS entries agree key for key", async () => {
  const esm = await import("edgeroute");
  const opts = { strategy: "ring", nodes: [{ id: "x" }, { id: "y", weight: 3 }], seed: 99 };
  const a = new Router(opts);
  const b = new esm.Router(opts);
  for (let i = 0; i < 2000; i++) assert.equal(a.pick(`k${i}`), b.pick(`k${i}`));
});

test('require("edgeroute/web") is the ES module itself: the same exports, and one init for both', async () => {
  assert.match(require.resolve("edgeroute/web"), /node_modules\/edgeroute\/web\.cjs$/);
  const web = require("edgeroute/web");
  const esm = await import("edgeroute/web");
  assert.deepEqual(Object.keys(web).sort(), Object.keys(esm).sort());
  for (const k of Object.keys(esm)) assert.equal(web[k], esm[k], k);
  // web.d.cts declares `export default init`: TypeScript's CommonJS output reads .default only with __esModule.
  assert.equal(web.__esModule, true);
  assert.equal(typeof web.default, "function");
  assert.throws(() => new esm.Router({ strategy: "ring", nodes: [{ id: "a" }] }), { code: "ERR_NOT_INITIALIZED" });
  web.initSync(readFileSync(require.resolve("edgeroute/edgeroute_bg.wasm")));
  assert.equal(new esm.Router({ strategy: "ring", nodes: [{ id: "a" }] }).pick("k"), "a");
});
