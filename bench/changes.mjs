// make bench (fourth part): what pool changes cost (issue 17, goal 2). A ring grown one `add` at a time against
// one build of the same nodes, and one `add`, `setWeight` and `remove` at 1,000 and 10,000 nodes for every
// strategy that keeps a table. Node, one process; builds are warmed up and the median of 5 is used.
import { performance } from "node:perf_hooks";
import { Router } from "../pkg/node.mjs";

const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const ids = (n, tag = "") => Array.from({ length: n }, (_, i) => ({ id: `10.${tag}${i >> 16}.${(i >> 8) & 255}.${i & 255}:11211` }));
const time = (f) => {
  const t = performance.now();
  f();
  return performance.now() - t;
};
const big = { maxMemoryBytes: 2 ** 30 };

function build(opts, n, runs = 5) {
  const nodes = ids(n);
  time(() => new Router({ ...opts, ...big, nodes }).free());
  return median(Array.from({ length: runs }, () => time(() => new Router({ ...opts, ...big, nodes }).free())));
}

console.log("growing a pool one add at a time against one build of it (ms)");
for (const [name, opts, n] of [
  ["ring", { strategy: "ring" }, 3000],
  ["ring", { strategy: "ring" }, 10000],
  ["maglev", { strategy: "maglev" }, 3000],
  ["nginx", { strategy: "ring", compat: "nginx" }, 3000],
  ["varnish", { strategy: "ring", compat: "varnish" }, 3000],
  ["libketama", { strategy: "ring", compat: "libketama" }, 3000],
  ["twemproxy", { strategy: "ring", compat: "twemproxy" }, 3000],
]) {
  const once = build(opts, n);
  const nodes = ids(n);
  const r = new Router({ ...opts, ...big, nodes: nodes.slice(0, 1) });
  const grow = time(() => {
    for (let i = 1; i < n; i++) r.add(nodes[i]);
  });
  r.free();
  console.log(`  ${name.padEnd(10)} ${String(n).padStart(6)} nodes: build ${once.toFixed(1)}, grown ${grow.toFixed(0)}: ${(grow / once).toFixed(1)}× one build`);
}

console.log("\none change at N nodes, ms (median of 5 of each)");
const strategies = [
  ["ring", { strategy: "ring" }],
  ["maglev", { strategy: "maglev" }],
  ["jump", { strategy: "jump" }],
  ["nginx", { strategy: "ring", compat: "nginx" }],
  ["libketama", { strategy: "ring", compat: "libketama" }],
  ["twemproxy", { strategy: "ring", compat: "twemproxy" }],
  ["haproxy", { strategy: "ring", compat: "haproxy" }],
  ["varnish", { strategy: "ring", compat: "varnish" }],
];
for (const n of [1000, 10000]) {
  for (const [name, opts] of strategies) {
    const r = new Router({ ...opts, ...big, nodes: ids(n) });
    const runs = n >= 10000 && name !== "ring" && name !== "jump" ? 3 : 5;
    const add = [], weight = [], remove = [];
    for (let i = 0; i < runs; i++) {
      const id = `new-${i}.example:11211`;
      add.push(time(() => r.add({ id })));
      weight.push(time(() => r.setWeight(id, 2)));
      remove.push(time(() => r.remove(id)));
    }
    r.free();
    console.log(`  ${name.padEnd(10)} ${String(n).padStart(6)} nodes: build ${build(opts, n, 3).toFixed(1)}, add ${median(add).toFixed(3)}, setWeight ${median(weight).toFixed(3)}, remove ${median(remove).toFixed(3)}`);
  }
}

console.log("\na batch of 100 changes (50 nodes leave, 50 join) at 1,000 nodes: one call each against one setNodes, ms");
for (const [name, opts] of strategies) {
  const start = ids(1000);
  const next = [...start.slice(50), ...ids(50, "9")];
  const one = new Router({ ...opts, ...big, nodes: start });
  const byCall = time(() => {
    for (const n of start.slice(0, 50)) one.remove(n.id);
    for (const n of next.slice(-50)) one.add(n);
  });
  const batch = new Router({ ...opts, ...big, nodes: start });
  const bySet = time(() => batch.setNodes(next));
  for (let i = 0; i < 2000; i++) if (one.pick(`k${i}`) !== batch.pick(`k${i}`)) throw new Error(`${name}: setNodes differs from the calls`);
  one.free();
  batch.free();
  console.log(`  ${name.padEnd(10)} one by one ${byCall.toFixed(1)}, setNodes ${bySet.toFixed(1)}: ${(byCall / bySet).toFixed(1)}×`);
}

// Peak bytes per ring point or table slot, as wasm memory sees it: each build in a fresh process (wasm memory only
// grows, so its growth across a build is that build's peak, allocator slack included). The model and the bytes
// held are in docs/performance.md (tests/memory.rs measures them natively with a counting allocator).
console.log("\npeak wasm memory per ring point / table slot (a fresh process per row)");
const { execFileSync } = await import("node:child_process");
for (const [name, opts, n, items, change] of [
  ["ring build", { strategy: "ring" }, 10000, 10000 * 160, false],
  ["ring build + one add", { strategy: "ring" }, 10000, 10001 * 160, true],
  ["nginx ring build", { strategy: "ring", compat: "nginx" }, 2000, 2000 * 160, false],
  ["maglev build (65,537 slots)", { strategy: "maglev" }, 1000, 65537, false],
]) {
  const code = `import { Router } from ${JSON.stringify(new URL("../pkg/node.mjs", import.meta.url).href)};
const nodes = Array.from({ length: ${n} }, (_, i) => ({ id: "10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255) + ":11211" }));
const warm = new Router({ strategy: "ring", nodes: nodes.slice(0, 2) }); warm.free();
const m0 = Router.wasmMemoryBytes();
const r = new Router({ ...${JSON.stringify(opts)}, maxMemoryBytes: 2 ** 30, nodes });
if (${change}) r.add({ id: "extra:1" });
console.log(Router.wasmMemoryBytes() - m0);`;
  const grew = Number(execFileSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" }).trim());
  console.log(`  ${name.padEnd(28)} ${(grew / items).toFixed(1)} bytes per ${name.includes("maglev") ? "slot" : "point"} (${(grew / 2 ** 20).toFixed(1)} MiB for ${items} ${name.includes("maglev") ? "slots" : "points"} and ${n} nodes)`);
}
