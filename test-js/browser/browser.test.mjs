// The packed package in a real page: headless Chromium (Debian's) driven by playwright-core, the page served
// from this temporary project on loopback.
import test from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const proj = path.resolve(import.meta.dirname, "../..");
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json", ".wasm": "application/wasm" };
export const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run",
];

function serve(root) {
  const server = http.createServer((req, res) => {
    const p = path.normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
    const file = path.join(root, p === "/" ? "test/browser/index.html" : p);
    if (!file.startsWith(root) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

test("the package works in a page in headless Chromium", async () => {
  const server = await serve(proj);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => window.__results !== undefined, null, { timeout: 60_000 });
    const r = await page.evaluate(() => window.__results);
    assert.equal(r.crash, undefined);
    assert.deepEqual(errors, []);
    assert.equal(r.beforeInit, "ERR_NOT_INITIALIZED");
    assert.deepEqual(r.golden.failures, []);
    assert.ok(r.golden.passed >= 200);
    assert.deepEqual(r.errors.failures, []);
    assert.deepEqual(r.strategies.failures, []);
    assert.deepEqual(r.reentrance.failures, []);
    assert.deepEqual(r.stack.failures, []);
    assert.equal(r.hostile.length, 3);
    for (const h of r.hostile) assert.deepEqual(h.failures, []);
    assert.deepEqual(r.bundlerGolden.failures, []);
    assert.match(r.userAgent, /Chrome/);
  } finally {
    await browser.close();
    server.close();
  }
});
