// The packed package from Node, through `import`.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Router, EdgerouteError, version } from "edgeroute";
import { goldenChecks, errorChecks, strategyChecks } from "../shared/checks.js";
import { hostileChecks, reentranceChecks, stackExhaustionChecks } from "../shared/hostile.js";

const golden = JSON.parse(readFileSync(new URL("../golden/vectors.json", import.meta.url), "utf8"));
const messages = JSON.parse(readFileSync(new URL("../shared/error-messages.json", import.meta.url), "utf8"));

test("import resolves the node ESM entry", () => {
  assert.match(import.meta.resolve("edgeroute"), /node_modules\/edgeroute\/node\.mjs$/);
  assert.match(version, /^\d+\.\d+\.\d+/);
});

test("golden ring vectors", () => {
  const r = goldenChecks(Router, golden);
  assert.deepEqual(r.failures, []);
  assert.ok(r.passed >= 200, `only ${r.passed} checks`);
});

test("every bad input gives its code and the message of docs/errors.md, and the router keeps working", () => {
  const r = errorChecks(Router, EdgerouteError, messages);
  assert.deepEqual(r.failures, []);
  assert.ok(r.cases >= 140, `${r.cases} cases`);
  assert.ok(Object.values(messages).filter((m) => typeof m === "string").length >= 125);
});

test("re-entrance: a lease ended from its own outcome, pickMany getters that free or flip a key", () => {
  assert.deepEqual(reentranceChecks(Router, EdgerouteError).failures, []);
});

test("calls with the JS stack exhausted retire only their Router, with a code", async () => {
  // The glue node.mjs loads (same file, same module instance): its shadow stack pointer, at rest now.
  const glue = await import(new URL("../../node_modules/edgeroute/glue.js", import.meta.url).href);
  const resting = glue.stack_pointer().value;
  const r = stackExhaustionChecks(Router, EdgerouteError);
  assert.deepEqual(r.failures, []);
  assert.ok(r.retired > 0, `no call was cut short inside wasm: ${JSON.stringify(r)}`);
  // Each cut-short call left the shadow stack pointer lowered; the next call puts it back at rest.
  new Router({ strategy: "ring", nodes: [{ id: "a" }] }).pick("k");
  assert.equal(glue.stack_pointer().value, resting, "the shadow stack leaked");
});

test("hostile values at the boundary: lying typed arrays, Proxies, re-entrant hooks, detached buffers", () => {
  // HOSTILE_SEEDS / HOSTILE_OPS make the long run of `make fuzz`.
  const seeds = Number(process.env.HOSTILE_SEEDS ?? 8);
  const ops = Number(process.env.HOSTILE_OPS ?? 3000);
  let total = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const r = hostileChecks(Router, EdgerouteError, { seed, ops });
    assert.deepEqual(r.failures, []);
    assert.ok(r.thrown > ops / 10 && r.thrown < ops, `seed ${seed}: ${r.thrown} of ${ops} operations threw`);
    total += r.passed;
  }
  assert.ok(total >= seeds * ops, `${total} checks`);
});

test("strategies route for real", () => {
  assert.deepEqual(strategyChecks(Router).failures, []);
});

test("README quick start", () => {
  const r = new Router({ strategy: "ring", nodes: [{ id: "a", weight: 2 }, { id: "b" }], seed: 7 });
  const first = r.pick("/user/42");
  assert.ok(["a", "b"].includes(first));
  assert.deepEqual(r.pickN("/user/42", 2).sort(), ["a", "b"]);
  r.add({ id: "c", weight: 1 });
  r.setWeight("a", 3);
  r.report("a", { ok: true, latencyMs: 12.5 });
  assert.deepEqual(r.nodes(), [{ id: "a", weight: 3 }, { id: "b", weight: 1 }, { id: "c", weight: 1 }]);
  assert.equal(r.stats().find((s) => s.id === "a").successes, 1);
  assert.equal(r.remove("c"), true);
  r.free();
});

test("free() through Symbol.dispose", () => {
  const r = new Router({ strategy: "round-robin", nodes: [{ id: "a" }] });
  r[Symbol.dispose]();
  assert.throws(() => r.pick(), { code: "ERR_FREED" });
});
