#!/usr/bin/env node
// Keeps the core's layering true (issue 16): every top-level module of src/ has a layer, and code may name only
// its own module or a module of a lower layer. Also fails when a layer table entry is missing, when a source file
// has more than 600 lines of non-test code, or when the files of one module import each other in a circle.
//
// What counts as an import: any `crate::<module>` path outside comments (use lines and inline paths alike), and,
// for the circle check, `super::<file>` / `crate::<module>::<file>` paths between files of one folder. Test
// modules (`#[cfg(test)]` to the end of the file, where this crate keeps them) are left out: tests may reach up.
//
// Usage: node scripts/check-layers.mjs [--print]   (--print writes the module graph and file sizes)
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/** Bottom to top. A module may use modules of lower layers only. Keep docs/architecture.md's table in step. */
export const LAYERS = [
  ["base"], // errors, numbers, limits, math, rng, sort, alloc, value, protocol
  ["hash"], // every hash
  ["load"], // what a balancer measures (peak EWMA)
  ["node"], // NodeSpec, NodeState, Outcome, health's state machine
  ["strategy"], // the trait, the kinds and their capabilities, one file per algorithm
  ["compat"], // one file per compatibility profile (over strategy's building blocks)
  ["options"], // reading and writing Config, node specs, outcomes, health options
  ["router"], // the Router
  ["wasm"], // the JS facade (wasm32 only)
];
const MAX_LINES = 600;

const root = new URL("../src/", import.meta.url).pathname;
const layerOf = new Map(LAYERS.flatMap((mods, i) => mods.map((m) => [m, i])));

function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".rs") ? [p] : [];
  });
}

/** The code of a file without its test module and without comments (line, doc and block). */
function code(text) {
  const test = text.search(/^#\[cfg\(test\)\]/m);
  const body = test >= 0 ? text.slice(0, test) : text;
  return body.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
}

const problems = [];
const graph = new Map(); // top module -> Set of top modules it names
const fileEdges = new Map(); // file -> Set of sibling files it names
const sizes = [];

for (const path of files(root)) {
  const rel = relative(root, path);
  const parts = rel.replace(/\.rs$/, "").split("/");
  const top = parts[0];
  const text = readFileSync(path, "utf8");
  const body = code(text);
  const lines = body.split("\n").filter((l) => l.trim() !== "").length;
  sizes.push([lines, rel]);
  if (lines > MAX_LINES) problems.push(`${rel}: ${lines} lines of non-test code, over ${MAX_LINES}: split it by concern`);
  if (top === "lib") continue; // the crate root re-exports and gathers names from every layer
  if (!layerOf.has(top)) {
    problems.push(`${rel}: module ${top} has no layer in scripts/check-layers.mjs (and docs/architecture.md)`);
    continue;
  }
  const uses = graph.get(top) ?? new Set();
  for (const m of body.matchAll(/\bcrate::(\w+)/g)) {
    const to = m[1];
    if (to === top) continue;
    uses.add(to);
    if (!layerOf.has(to)) problems.push(`${rel}: names crate::${to}, which is not a layered module`);
    else if (layerOf.get(to) >= layerOf.get(top)) {
      problems.push(`${rel}: ${top} (layer ${layerOf.get(top)}) names crate::${to} (layer ${layerOf.get(to)}): an import that runs up or across`);
    }
  }
  graph.set(top, uses);
  // Files of one folder: edges to siblings, for the circle check below.
  if (parts.length > 1) {
    const dir = parts.slice(0, -1).join("/");
    const self = parts[parts.length - 1];
    const sibs = new Set();
    const prefix = `crate::${parts.slice(0, -1).join("::")}::`;
    for (const m of body.matchAll(new RegExp(`(?:\\bsuper::|${prefix.replace(/[:]/g, ":")})(\\w+)`, "g"))) {
      if (m[1] !== self) sibs.add(`${dir}/${m[1]}`);
    }
    fileEdges.set(`${dir}/${self}`, sibs);
  }
}

// Circles among the files of one folder (Tarjan's strongly connected components). A child naming its folder's
// mod.rs (`super::Ctx`) is the normal direction; mod.rs naming a child's items is fine too, unless both happen.
function sccs(nodes, edges) {
  let index = 0;
  const idx = new Map(), low = new Map(), on = new Set(), stack = [], out = [];
  const visit = (v) => {
    idx.set(v, index); low.set(v, index); index++; stack.push(v); on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!nodes.has(w)) continue;
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const c = [];
      let w;
      do { w = stack.pop(); on.delete(w); c.push(w); } while (w !== v);
      out.push(c);
    }
  };
  for (const v of nodes) if (!idx.has(v)) visit(v);
  return out;
}
// A child's `super::x` means the folder's mod.rs (or a sibling re-exported there): map it to `dir/mod`.
const nodes = new Set(fileEdges.keys());
const edges = new Map();
for (const [f, sibs] of fileEdges) {
  const dir = f.slice(0, f.lastIndexOf("/"));
  edges.set(f, new Set([...sibs].map((s) => (nodes.has(s) ? s : `${dir}/mod`))));
}
for (const c of sccs(nodes, edges)) {
  if (c.length > 1) problems.push(`files import each other in a circle: ${c.join(", ")}`);
}

if (process.argv.includes("--print")) {
  for (const [m, uses] of [...graph].sort((a, b) => layerOf.get(a[0]) - layerOf.get(b[0]))) {
    console.log(`${m} (layer ${layerOf.get(m)}) -> ${[...uses].sort().join(", ") || "(nothing)"}`);
  }
  for (const [n, f] of sizes.sort((a, b) => b[0] - a[0]).slice(0, 8)) console.log(`${n}\t${f}`);
}
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`layers: ${graph.size} modules in ${LAYERS.length} layers, no import up or across, no circle; largest file ${sizes.sort((a, b) => b[0] - a[0])[0].join(" lines: ")}`);
