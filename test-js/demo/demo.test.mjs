// The demo page served by the real demo server, in headless Chromium: typing a key shows the same pick as the
// package computes in Node, and a bad config shows the error code instead of breaking the page.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import { chromium } from "playwright-core";
import { Router } from "../../pkg/node.mjs";

const root = path.resolve(import.meta.dirname, "../..");
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

test("the demo page routes typed keys with the wasm package", async () => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = spawn(process.execPath, [path.join(root, "scripts/serve.mjs")], { env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve) => server.stdout.once("data", resolve));
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => document.getElementById("pick").value !== "");
    const twin = new Router({ strategy: "ring", nodes: [{ id: "origin-a", weight: 2 }, { id: "origin-b" }, { id: "origin-c" }] });
    for (const key of ["/user/42", "/cart/7", "ключ"]) {
      await page.fill("#key", key);
      assert.equal(await page.textContent("#pick"), twin.pick(key));
      assert.equal(await page.textContent("#pickn"), twin.pickN(key, 3).join(" → "));
    }
    const rows = await page.$$eval("#shares tbody tr", (trs) => trs.map((tr) => Number(tr.cells[2].textContent)));
    assert.equal(rows.reduce((a, b) => a + b, 0), 10000);
    await page.fill("#nodes", "dup\ndup");
    await page.waitForSelector("#error:not([hidden])");
    assert.match(await page.textContent("#error"), /ERR_DUPLICATE_ID/);
    await page.fill("#nodes", "origin-a 2\norigin-b\norigin-c");
    await page.waitForSelector("#error", { state: "hidden" });
    fs.mkdirSync(path.join(root, "test-results"), { recursive: true });
    await page.screenshot({ path: path.join(root, "test-results/demo.png") });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.kill();
  }
});
