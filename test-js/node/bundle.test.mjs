// What a bundler puts in a page that imports only the Router (issue 21): the installed package, bundled by
// esbuild for the browser and for Node, must leave the Registry and its Lua sources out, and the bundle must still
// route. test/browser/bundlers.test.mjs does the same with Vite, webpack, Rollup and bun build, in a page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ESBUILD as bin, LUA } from "../shared/bundling.mjs";

const here = path.dirname(new URL(import.meta.url).pathname);
// The consumer project test-js/run.sh made: its node_modules holds the installed tarball.
const proj = path.resolve(here, "../..");

/** Bundles `source` (an entry module's text) with esbuild and returns the JS text. */
function bundle(source, args) {
  const dir = fs.mkdtempSync(path.join(proj, ".bundle-"));
  try {
    fs.writeFileSync(path.join(dir, "entry.mjs"), source);
    const out = path.join(dir, "out.mjs");
    execFileSync(bin, [path.join(dir, "entry.mjs"), "--bundle", `--outfile=${out}`, "--log-level=error", ...args], { cwd: proj });
    return fs.readFileSync(out, "utf8");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("esbuild (browser, ESM): a Router-only bundle has no Registry and no Lua; importing Registry brings them", () => {
  assert.ok(fs.existsSync(bin), `esbuild not found at ${bin}`);
  const routerOnly = bundle('import { Router } from "edgeroute";\nglobalThis.r = new Router({ strategy: "ring", nodes: [{ id: "a" }] });\n', ["--format=esm", "--platform=browser"]);
  assert.doesNotMatch(routerOnly, LUA, "Lua source in a Router-only bundle");
  assert.doesNotMatch(routerOnly, /bindRegistry/, "the Registry in a Router-only bundle");
  const withRegistry = bundle('import { Registry } from "edgeroute";\nglobalThis.R = Registry;\n', ["--format=esm", "--platform=browser"]);
  assert.match(withRegistry, LUA, "a bundle that imports Registry must carry its scripts");
  console.log(`esbuild browser ESM, Router only: ${routerOnly.length} B of JS; with Registry: ${withRegistry.length} B`);
});

test("esbuild (node, ESM): a Router-only server bundle leaves the Lua out and routes as the package does", async () => {
  const js = bundle(
    'import { Router } from "edgeroute";\nexport const pick = (k) => new Router({ strategy: "ring", nodes: [{ id: "a" }, { id: "b" }, { id: "c" }], seed: 7 }).pick(k);\n',
    ["--format=esm", "--platform=node", "--loader:.wasm=file"],
  );
  assert.doesNotMatch(js, LUA);
  // Run it from a file beside the package, so its wasm import resolves as in a deployed server.
  const file = path.join(os.tmpdir(), `edgeroute-bundle-${process.pid}.mjs`);
  fs.writeFileSync(file, js.replaceAll('"./edgeroute_bg.wasm"', JSON.stringify(path.join(proj, "node_modules/edgeroute/edgeroute_bg.wasm"))));
  try {
    const { pick } = await import(file);
    const { Router } = await import("edgeroute");
    const r = new Router({ strategy: "ring", nodes: [{ id: "a" }, { id: "b" }, { id: "c" }], seed: 7 });
    for (let i = 0; i < 200; i++) assert.equal(pick(`k${i}`), r.pick(`k${i}`));
  } finally {
    fs.rmSync(file, { force: true });
  }
});
