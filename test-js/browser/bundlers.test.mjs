// The installed package bundled by esbuild, loaded in a real page (headless Chromium): with esbuild's defaults
// (an IIFE, which cannot hold top-level await) through `edgeroute/inline`, as ESM through `edgeroute/inline`, and
// as ESM through the plain entry with the .wasm copied beside the bundle (esbuild does not copy it). Each page must
// route exactly as the package does in Node.
import test from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { Router } from "edgeroute";

const proj = path.resolve(import.meta.dirname, "../..");
// As browser.test.mjs launches it (importing that file would run its test here too).
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
const esbuild = path.join(path.dirname(process.env.WRANGLER_BIN ?? ""), "esbuild");
const OPTIONS = { strategy: "ring", nodes: [{ id: "a" }, { id: "b", weight: 2 }, { id: "c" }], seed: 7 };
const KEYS = Array.from({ length: 300 }, (_, i) => `/bundle/${i}`);

const ENTRY = (from) => `import { Router } from ${JSON.stringify(from)};
const r = new Router(${JSON.stringify(OPTIONS)});
window.__picks = ${JSON.stringify(KEYS)}.map((k) => r.pick(k));
`;

const CASES = [
  { name: "esbuild defaults (IIFE), edgeroute/inline", from: "edgeroute/inline", args: [], module: false },
  { name: "esbuild --format=esm, edgeroute/inline", from: "edgeroute/inline", args: ["--format=esm"], module: true },
  { name: "esbuild --format=esm, edgeroute with the .wasm copied beside the bundle", from: "edgeroute", args: ["--format=esm"], module: true, copyWasm: true },
];

function serve(dir) {
  const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
  const server = http.createServer((req, res) => {
    const file = path.join(dir, path.normalize(new URL(req.url, "http://x").pathname));
    if (!file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

test("esbuild bundles of the package route in a page as the package does in Node", async () => {
  assert.ok(fs.existsSync(esbuild), `esbuild not found at ${esbuild}`);
  const want = (() => {
    const r = new Router(OPTIONS);
    return KEYS.map((k) => r.pick(k));
  })();
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
  try {
    for (const c of CASES) {
      const dir = fs.mkdtempSync(path.join(proj, ".page-"));
      const server = await serve(dir);
      try {
        fs.writeFileSync(path.join(dir, "entry.js"), ENTRY(c.from));
        execFileSync(esbuild, [path.join(dir, "entry.js"), "--bundle", `--outfile=${path.join(dir, "out.js")}`, "--log-level=error", ...c.args], { cwd: proj });
        if (c.copyWasm) fs.copyFileSync(path.join(proj, "node_modules/edgeroute/edgeroute_bg.wasm"), path.join(dir, "edgeroute_bg.wasm"));
        fs.writeFileSync(path.join(dir, "index.html"), `<!doctype html><script ${c.module ? 'type="module" ' : ""}src="out.js"></script>`);
        const page = await browser.newPage();
        const errors = [];
        page.on("pageerror", (e) => errors.push(String(e)));
        await page.goto(`http://127.0.0.1:${server.address().port}/index.html`);
        await page.waitForFunction(() => window.__picks !== undefined, null, { timeout: 30_000 }).catch(() => {});
        assert.deepEqual(errors, [], `${c.name}: page errors`);
        assert.deepEqual(await page.evaluate(() => window.__picks), want, `${c.name}: picks differ from Node's`);
        const bytes = fs.statSync(path.join(dir, "out.js")).size;
        console.log(`${c.name}: ${bytes} B of JS${c.copyWasm ? " + the .wasm" : " (wasm inlined)"}`);
        await page.close();
      } finally {
        server.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await browser.close();
  }
});

test("esbuild's defaults fail on the plain entry, which is why edgeroute/inline exists (README says so)", () => {
  const dir = fs.mkdtempSync(path.join(proj, ".page-"));
  try {
    fs.writeFileSync(path.join(dir, "entry.js"), ENTRY("edgeroute"));
    assert.throws(
      () => execFileSync(esbuild, [path.join(dir, "entry.js"), "--bundle", `--outfile=${path.join(dir, "out.js")}`, "--log-level=error"], { cwd: proj, stdio: "pipe" }),
      /top-level await/i,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
