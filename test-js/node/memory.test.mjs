// Issue 15, finding 6: memory has a limit. Run in its own process (node --test gives each file one), because
// wasm memory only grows: this test takes it to the 4 GiB a wasm32 memory can hold.
import test from "node:test";
import assert from "node:assert/strict";
import { Router } from "edgeroute";

const nodes = Array.from({ length: 1677 }, (_, i) => ({ id: `n${i}` }));

test("a config over maxMemoryBytes is refused before it allocates, with its cost and the limit", () => {
  const before = Router.wasmMemoryBytes();
  assert.throws(
    () => new Router({ strategy: "ring", vnodes: 10000, nodes }),
    (e) => e.code === "ERR_TOO_LARGE" && /about \d+(\.\d)? MiB of memory at its peak \(16770000 ring points/.test(e.message) && /limit of 64 MiB/.test(e.message) && /maxMemoryBytes/.test(e.message),
  );
  assert.ok(Router.wasmMemoryBytes() - before < 4 << 20, "refusing grew wasm memory");
});

test("when the module's memory is full, building another Router is ERR_TOO_LARGE, never a trap", () => {
  // The run: rings of 16.8 M points with the limit raised, until wasm memory (4 GiB) is full. The 20th
  // used to fail with ERR_INTERNAL ("This is a bug"), poisoning nothing less than the Router being built.
  const small = new Router({ strategy: "maglev", nodes: [{ id: "a" }, { id: "b" }, { id: "c" }], seed: 1 });
  const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
  const map = keys.map((k) => small.pick(k));
  const kept = [];
  let err;
  for (let i = 0; i < 40 && err === undefined; i++) {
    try {
      kept.push(new Router({ strategy: "ring", vnodes: 10000, maxMemoryBytes: 2 ** 32, nodes }));
    } catch (e) {
      err = e;
    }
  }
  assert.ok(err !== undefined, `${kept.length} rings of 16.8 M points fit: the memory never filled`);
  assert.equal(err.code, "ERR_TOO_LARGE", `${err.code}: ${err.message}`);
  assert.match(err.message, /out of memory/);
  assert.ok(kept.length >= 10, `only ${kept.length} rings were built`);
  // Every other Router keeps working, and the freed memory is reused.
  assert.deepEqual(keys.map((k) => small.pick(k)), map);
  assert.equal(typeof kept[0].pick("k"), "string");
  for (const r of kept) r.free();
  const again = new Router({ strategy: "ring", vnodes: 10000, maxMemoryBytes: 2 ** 32, nodes });
  assert.equal(typeof again.pick("k"), "string");
});
