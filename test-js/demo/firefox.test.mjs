// The demo page in Firefox (Debian's firefox-esr driven over WebDriver BiDi by puppeteer-core; playwright-core
// cannot drive a stock Firefox). The same figures as in Chromium must come out: ring points, moved keys, bars,
// and a running traffic panel, with no page errors.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import puppeteer from "puppeteer-core";
import { createServer } from "../../scripts/serve.mjs";
import { Router } from "../../pkg/node.mjs";
import { optionsFor, ownersOf } from "../../www/model.js";

const root = path.resolve(import.meta.dirname, "../..");
const POOL = [{ id: "origin-a", weight: 2 }, { id: "origin-b", weight: 1 }, { id: "origin-c", weight: 1 }, { id: "origin-d", weight: 1 }, { id: "origin-e", weight: 1 }];
const owners = (choice, nodes) => ownersOf(new Router(optionsFor(choice, nodes, 40)), 1000, false);

test("the demo page works in Firefox", async () => {
  const server = createServer();
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const browser = await puppeteer.launch({ browser: "firefox", executablePath: "/usr/bin/firefox-esr", headless: true });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.setViewport({ width: 1280, height: 720 });
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
    assert.equal(await page.$$eval("#ring .pt", (e) => e.length), 240);
    assert.equal(await page.$$eval("#ring .key", (e) => e.length), 1000);
    const before = owners("ring", POOL);
    const after = POOL.filter((n) => n.id !== "origin-c");
    await page.click("#nodes tbody tr:nth-child(3) button");
    await page.waitForFunction(() => /origin-c removed/.test(document.getElementById("moved").textContent));
    const moved = owners("ring", after).filter((o, i) => o !== before[i]).length;
    assert.equal(Number(await page.$eval("#moved", (e) => e.dataset.moved)), moved);
    await page.select("#strategy", "maglev");
    await page.waitForFunction(() => /strategy → maglev/.test(document.getElementById("moved").textContent));
    const bars = await page.$$eval(".bar-row", (rows) => Object.fromEntries(rows.map((r) => [r.dataset.id, Number(r.dataset.count)])));
    const want = Object.fromEntries(after.map((n) => [n.id, owners("maglev", after).filter((o) => o === n.id).length]));
    assert.deepEqual(bars, want);
    await page.click("#t-run");
    await page.waitForFunction(() => Number(document.getElementById("t-chart").dataset.columns) >= 2, { timeout: 10000 });
    await page.click("#t-run");
    fs.mkdirSync(path.join(root, "test-results"), { recursive: true });
    await page.screenshot({ path: path.join(root, "test-results/demo-firefox.png") });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
  }
});
