// setNodes(nodes): one batch equals the remove / setWeight / add calls it stands for (removals, reweights, then
// additions in the listed order), keeps the state of the nodes it keeps, and changes nothing when refused.
import test from "node:test";
import assert from "node:assert/strict";
import { Router } from "edgeroute";

const keys = Array.from({ length: 3000 }, (_, i) => `/asset/${i}/${"é".repeat(i % 4)}`);
const pool = (n, from = 0) => Array.from({ length: n }, (_, i) => ({ id: `10.0.0.${from + i}:80` }));
const configs = [
  { strategy: "ring" },
  { strategy: "ring", boundedLoad: 1.25 },
  { strategy: "maglev" },
  { strategy: "jump" },
  { strategy: "rendezvous" },
  { strategy: "hash" },
  { strategy: "ring", compat: "nginx" },
  { strategy: "ring", compat: "libketama" },
  { strategy: "ring", compat: "haproxy" },
  { strategy: "ring", compat: "varnish" },
  { strategy: "ring", compat: "ats" },
  { strategy: "ring", compat: "envoy" },
  { strategy: "maglev", compat: "envoy" },
];

for (const opts of configs) {
  test(`setNodes on ${JSON.stringify(opts)} equals the calls it stands for`, () => {
    const start = pool(12);
    const want = [...start.filter((_, i) => i !== 2 && i !== 7).map((n, i) => (i === 4 ? { ...n, weight: 3 } : n)), ...pool(3, 50)];
    const batch = new Router({ ...opts, nodes: start });
    const calls = new Router({ ...opts, nodes: start });
    calls.remove(start[2].id);
    calls.remove(start[7].id);
    calls.setWeight(want[4].id, 3);
    for (const n of pool(3, 50)) calls.add(n);
    assert.deepEqual(batch.setNodes(want), { added: 3, removed: 2, reweighted: 1 });
    assert.deepEqual(batch.nodes(), calls.nodes());
    const differ = keys.filter((k) => batch.pick(k) !== calls.pick(k)).length;
    assert.equal(differ, 0, `${differ} of ${keys.length} keys differ`);
    assert.deepEqual(keys.slice(0, 300).map((k) => batch.pickN(k, 3)), keys.slice(0, 300).map((k) => calls.pickN(k, 3)));
    // The same list again is no change; the cached ids (what pick returns) follow every batch.
    assert.deepEqual(batch.setNodes(want), { added: 0, removed: 0, reweighted: 0 });
    assert.deepEqual(new Set(keys.map((k) => batch.pick(k))), new Set(want.map((n) => n.id)));
  });
}

test("setNodes keeps the counters and health of the nodes it keeps, and a lease on a node that left ends quietly", () => {
  const r = new Router({ strategy: "ring", nodes: pool(4), health: { consecutiveFailures: 1, baseEjectionMs: 60_000 } });
  for (const k of keys.slice(0, 400)) r.pick(k);
  const picks = new Map(r.stats().map((s) => [s.id, s.picks]));
  r.report(pool(4)[1].id, { ok: false });
  const lease = r.acquire(keys[0]);
  r.setNodes([...pool(4).filter((n) => n.id !== lease.id), { id: "new:80" }]);
  for (const s of r.stats()) {
    if (s.id === "new:80") assert.equal(s.picks, 0);
    else assert.equal(s.picks, picks.get(s.id), `${s.id} lost its pick count`);
  }
  if (lease.id !== pool(4)[1].id) assert.equal(r.stats().find((s) => s.id === pool(4)[1].id).state, "ejected");
  lease.end({ ok: true });
  assert.equal(r.stats().reduce((a, s) => a + s.inflight, 0), 0);
});

test("a refused setNodes changes nothing, whatever part of it is bad", () => {
  const r = new Router({ strategy: "maglev", nodes: pool(5) });
  const before = { nodes: r.nodes(), picks: keys.map((k) => r.pick(k)) };
  for (const bad of [
    [...pool(3), { id: "10.0.0.1:80", weight: 2 }],
    [...pool(3), { id: "x", weight: 0 }],
    [...pool(3), { id: "x", port: 80 }],
    [...pool(3), 7],
    "nodes",
  ]) {
    assert.throws(() => r.setNodes(bad), (e) => typeof e.code === "string" && e.code.startsWith("ERR_"));
    assert.deepEqual(r.nodes(), before.nodes);
  }
  assert.deepEqual(keys.map((k) => r.pick(k)), before.picks);
  // Past the memory limit: refused before anything moves.
  const q = new Router({ strategy: "ring", vnodes: 10000, maxMemoryBytes: 1 << 20, nodes: [{ id: "a" }] });
  assert.throws(() => q.setNodes([{ id: "b" }, { id: "c", weight: 3 }]), { code: "ERR_TOO_LARGE" });
  assert.deepEqual(q.nodes(), [{ id: "a", weight: 1 }]);
});

test("setNodes called back into from a getter is refused, and the Router is unchanged", () => {
  const r = new Router({ strategy: "ring", nodes: pool(3) });
  const sneaky = { get id() { r.add({ id: "sneak:80" }); return "x:80"; } };
  // plain() reads the getter before wasm is entered: the add runs outside the call and the batch then removes it.
  const out = r.setNodes([...pool(3), sneaky]);
  assert.deepEqual(out, { added: 1, removed: 1, reweighted: 0 });
  assert.deepEqual(r.nodes().map((n) => n.id), [...pool(3).map((n) => n.id), "x:80"]);
});
