// The installed package as bundlers' users meet it (issue 21): a page that imports only `Router`, bundled by
// esbuild, Vite, webpack, Rollup and `bun build`, each configured as its docs say for a package that loads its
// .wasm with `new URL("edgeroute_bg.wasm", import.meta.url)`, and loaded in headless Chromium. Each page must route
// exactly as the package does in Node, and no bundle may carry the Registry's Lua sources. The bundle sizes are
// printed (docs/performance.md quotes them).
//
// What each needs, as the README's bundler section says:
// - esbuild: its defaults (an IIFE, no top-level await) take `edgeroute/inline`; with --format=esm the plain entry
//   works if the .wasm is copied beside the bundle (esbuild leaves `new URL(.., import.meta.url)` as it is).
// - Vite and webpack: the plain entry with their defaults; both emit the .wasm as an asset and rewrite its URL.
// - Rollup: @rollup/plugin-node-resolve (as for any npm package) and @web/rollup-plugin-import-meta-assets, which
//   emits the .wasm and rewrites its URL.
// - bun build: leaves the URL as it is, like esbuild: `edgeroute/inline`, or the plain entry with the .wasm copied.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { Router } from "edgeroute";
import { launchChromium, pageGlobal, serve } from "./page.mjs";
import { BUN, ESBUILD, LUA } from "../shared/bundling.mjs";

const proj = path.resolve(import.meta.dirname, "../..");
const WASM = path.join(proj, "node_modules/edgeroute/edgeroute_bg.wasm");
const OPTIONS = { strategy: "ring", nodes: [{ id: "a" }, { id: "b", weight: 2 }, { id: "c" }], seed: 7 };
const KEYS = Array.from({ length: 300 }, (_, i) => `/bundle/${i}`);

// The page makes the same keys itself, so the bundle sizes printed are the package's, not a list of keys.
const ENTRY = (from) => `import { Router } from ${JSON.stringify(from)};
const r = new Router(${JSON.stringify(OPTIONS)});
window.__picks = Array.from({ length: ${KEYS.length} }, (_, i) => "/bundle/" + i).map((k) => r.pick(k));
`;
// The control: a bundle that does import the Registry must carry the Lua, or LUA tests nothing for that bundler.
const REGISTRY_ENTRY = (from) => `import { Registry } from ${JSON.stringify(from)};\nwindow.__registry = Registry;\n`;

const html = (src, module) => `<!doctype html><script ${module ? 'type="module" ' : ""}src="${src}"></script>\n`;

/** esbuild's CLI on dir/entry.js into dist/out.js, and a page for it. */
function esbuild(args, module) {
  return (dir) => {
    execFileSync(ESBUILD, [path.join(dir, "entry.js"), "--bundle", `--outfile=${path.join(dir, "dist/out.js")}`, "--log-level=error", ...args], { cwd: proj });
    fs.writeFileSync(path.join(dir, "dist/index.html"), html("out.js", module));
  };
}

/** `bun build --target=browser` (ESM) on dir/entry.js into dist/entry.js, and a page for it. */
function bun(args) {
  return (dir) => {
    execFileSync(BUN, ["build", "--target=browser", path.join(dir, "entry.js"), `--outdir=${path.join(dir, "dist")}`, ...args], { cwd: proj, stdio: "pipe" });
    fs.writeFileSync(path.join(dir, "dist/index.html"), html("entry.js", true));
  };
}

/** `vite build` with no config: the page's index.html is the input, dist/ the output. */
async function vite(dir) {
  const { build } = await import("vite");
  fs.writeFileSync(path.join(dir, "index.html"), html("./entry.js", true));
  await build({ root: dir, configFile: false, logLevel: "error", build: { outDir: "dist" } });
}

/** webpack's defaults for a production build (target web: a classic script; the .wasm an asset/resource). */
async function webpack(dir) {
  const { default: wp } = await import("webpack");
  const stats = await new Promise((resolve, reject) =>
    wp({ mode: "production", context: dir, entry: "./entry.js", output: { path: path.join(dir, "dist"), filename: "main.js" } }, (e, s) => (e ? reject(e) : resolve(s))),
  );
  // webpack's performance hints flag any asset over 244 KiB; the .wasm is 257 KiB raw (110 KB gzip) since the
  // ats and envoy profiles (README, Bundlers). That hint, about the .wasm alone, is the one warning allowed.
  const { warnings = [] } = stats.toJson({ all: false, warnings: true });
  const other = warnings.filter((w) => !/^asset size limit:[^]*\.wasm \(\d+ KiB\)\s*$/.test(w.message) && !/^webpack performance recommendations/.test(w.message));
  assert.ok(!stats.hasErrors() && other.length === 0, stats.toString({ all: false, errors: true, warnings: true }));
  fs.writeFileSync(path.join(dir, "dist/index.html"), html("main.js", false));
}

/** Rollup as its docs set it up for npm packages with `new URL(asset, import.meta.url)`: node-resolve, import-meta-assets. */
async function rollup(dir) {
  const [{ rollup: bundle }, { nodeResolve }, { importMetaAssets }] = await Promise.all([
    import("rollup"), import("@rollup/plugin-node-resolve"), import("@web/rollup-plugin-import-meta-assets"),
  ]);
  const warnings = [];
  const b = await bundle({ input: path.join(dir, "entry.js"), plugins: [nodeResolve({ browser: true }), importMetaAssets()], onwarn: (w) => warnings.push(String(w)) });
  await b.write({ dir: path.join(dir, "dist"), format: "es" });
  await b.close();
  assert.deepEqual(warnings, [], "Rollup warned");
  fs.writeFileSync(path.join(dir, "dist/index.html"), html("entry.js", true));
}

// Vite and webpack minify by default, the others do not: a minified esbuild and bun build case each, to compare.
// `control`: also bundle a Registry page with this bundler and check the Lua is there (once per bundler).
const CASES = [
  { name: "esbuild defaults (IIFE), edgeroute/inline", from: "edgeroute/inline", build: esbuild([], false), control: true },
  { name: "esbuild --format=esm, edgeroute/inline", from: "edgeroute/inline", build: esbuild(["--format=esm"], true) },
  { name: "esbuild --format=esm, edgeroute, the .wasm copied beside", from: "edgeroute", build: esbuild(["--format=esm"], true), copyWasm: true },
  { name: "esbuild --format=esm --minify, edgeroute, the .wasm copied beside", from: "edgeroute", build: esbuild(["--format=esm", "--minify"], true), copyWasm: true },
  { name: "Vite 8 (vite build, no config), edgeroute", from: "edgeroute", build: vite, control: true },
  { name: "webpack 5 (mode production), edgeroute", from: "edgeroute", build: webpack, control: true },
  { name: "Rollup 4 + node-resolve + import-meta-assets, edgeroute", from: "edgeroute", build: rollup, control: true },
  { name: "bun build --target=browser, edgeroute/inline", from: "edgeroute/inline", build: bun([]), control: true },
  { name: "bun build --target=browser, edgeroute, the .wasm copied beside", from: "edgeroute", build: bun([]), copyWasm: true },
  { name: "bun build --target=browser --minify, edgeroute, the .wasm copied beside", from: "edgeroute", build: bun(["--minify"]), copyWasm: true },
];

/** Every file below dir with the given extension. */
function files(dir, ext) {
  return fs.readdirSync(dir, { recursive: true }).map((f) => path.join(dir, f)).filter((f) => f.endsWith(ext) && fs.statSync(f).isFile());
}

/** Builds `entry` with `c` in a fresh folder inside the project (so "edgeroute" resolves); returns that folder. */
async function built(c, entry) {
  const dir = fs.mkdtempSync(path.join(proj, ".page-"));
  fs.mkdirSync(path.join(dir, "dist"));
  fs.writeFileSync(path.join(dir, "entry.js"), entry);
  await c.build(dir);
  if (c.copyWasm) fs.copyFileSync(WASM, path.join(dir, "dist/edgeroute_bg.wasm"));
  return dir;
}

const want = (() => {
  const r = new Router(OPTIONS);
  return KEYS.map((k) => r.pick(k));
})();
let browser;
before(async () => {
  assert.ok(fs.existsSync(ESBUILD), `esbuild not found at ${ESBUILD}`);
  browser = await launchChromium();
});
after(() => browser?.close());

for (const c of CASES) {
  test(`${c.name}: a Router-only page routes as Node does, with no Lua in its JS`, async () => {
    const dir = await built(c, ENTRY(c.from));
    const server = await serve(path.join(dir, "dist"));
    try {
      const js = files(path.join(dir, "dist"), ".js").map((f) => fs.readFileSync(f));
      const wasm = files(path.join(dir, "dist"), ".wasm").map((f) => fs.statSync(f).size);
      assert.ok(js.length > 0, "no JS emitted");
      for (const text of js) assert.doesNotMatch(text.toString(), LUA, "Lua source in a Router-only bundle");
      assert.equal(wasm.length, c.from === "edgeroute" ? 1 : 0, "one .wasm beside the plain entry's bundle, none with the inlined one");
      const { value, errors } = await pageGlobal(browser, `http://127.0.0.1:${server.address().port}/index.html`, "__picks");
      assert.deepEqual(errors, [], "page errors");
      assert.deepEqual(value, want, "picks differ from Node's");
      const bytes = js.reduce((n, b) => n + b.length, 0);
      const gzip = js.reduce((n, b) => n + zlib.gzipSync(b, { level: 9 }).length, 0);
      console.log(`${c.name}: ${bytes} B of JS (${gzip} B gzip -9), ${wasm.length ? `+ ${wasm[0]} B .wasm` : "wasm inlined"}`);
    } finally {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  if (c.control) {
    test(`${c.name}: a bundle that imports Registry does carry the Lua (the check above can see it)`, async () => {
      const dir = await built(c, REGISTRY_ENTRY(c.from));
      try {
        assert.match(files(path.join(dir, "dist"), ".js").map((f) => fs.readFileSync(f, "utf8")).join("\n"), LUA);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}

test("esbuild's defaults fail on the plain entry, which is why edgeroute/inline exists (README says so)", () => {
  const dir = fs.mkdtempSync(path.join(proj, ".page-"));
  try {
    fs.writeFileSync(path.join(dir, "entry.js"), ENTRY("edgeroute"));
    assert.throws(
      () => execFileSync(ESBUILD, [path.join(dir, "entry.js"), "--bundle", `--outfile=${path.join(dir, "out.js")}`, "--log-level=error"], { cwd: proj, stdio: "pipe" }),
      /top-level await/i,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
