// The demo page served by the real demo server, in headless Chromium (playwright-core, Debian's Chromium). The
// page's figures are recomputed here in Node with the same package and must match: ring points for the config,
// the "moved" count after removing a node, the per-origin bars after a strategy change (bounded loads too), the
// key search, keyboard inspection, and the traffic panel ejecting and restoring a failing origin.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import { chromium } from "playwright-core";
import { Router } from "../../pkg/node.mjs";
import { optionsFor, ownersOf, keyName } from "../../www/model.js";

const root = path.resolve(import.meta.dirname, "../..");
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
const POOL = [{ id: "origin-a", weight: 2 }, { id: "origin-b", weight: 1 }, { id: "origin-c", weight: 1 }, { id: "origin-d", weight: 1 }, { id: "origin-e", weight: 1 }];

function owners(choice, nodes, vnodes, n = 1000) {
  const r = new Router(optionsFor(choice, nodes, vnodes));
  const o = ownersOf(r, n, choice.includes("+bounded"));
  r.free();
  return o;
}
const countsOf = (own, nodes) => Object.fromEntries(nodes.map((n) => [n.id, own.filter((o) => o === n.id).length]));

test("the demo page: ring points, moved keys, charts, search, keyboard and live traffic, all from the package", async () => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = spawn(process.execPath, [path.join(root, "scripts/serve.mjs")], { env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve) => server.stdout.once("data", resolve));
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ARGS });
  const shots = path.join(root, "test-results");
  fs.mkdirSync(shots, { recursive: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForSelector("body[data-ready=true]");
    const pointCount = () => page.locator("#ring .pt").count();
    const bars = () => page.$$eval(".bar-row", (rows) => Object.fromEntries(rows.map((r) => [r.dataset.id, Number(r.dataset.count)])));

    // Ring points: max(1, round(vnodes × weight)) per node, as documented; 40 per unit by default.
    const expectPoints = (vnodes, nodes) => nodes.reduce((a, n) => a + Math.max(1, Math.round(vnodes * n.weight)), 0);
    assert.equal(await pointCount(), expectPoints(40, POOL));
    // The slider by keyboard: Home is 1 point per unit of weight, End is 200.
    await page.focus("#vnodes");
    await page.keyboard.press("Home");
    assert.equal(await pointCount(), expectPoints(1, POOL));
    await page.keyboard.press("End");
    assert.equal(await pointCount(), expectPoints(200, POOL));
    for (let i = 0; i < 160; i++) await page.keyboard.press("ArrowLeft");
    assert.equal(await page.inputValue("#vnodes"), "40");
    assert.equal(await pointCount(), expectPoints(40, POOL));
    assert.deepEqual(await bars(), countsOf(owners("ring", POOL, 40), POOL), "bars are the package's counts");

    // Remove origin-c: the page's "moved" figure is what the package computes for the same config.
    const before = owners("ring", POOL, 40);
    const after = POOL.filter((n) => n.id !== "origin-c");
    await page.getByRole("button", { name: "remove origin-c" }).click();
    await page.waitForFunction(() => /origin-c removed/.test(document.getElementById("moved").textContent));
    const moved = owners("ring", after, 40).filter((o, i) => o !== before[i]).length;
    assert.equal(Number(await page.getAttribute("#moved", "data-moved")), moved);
    assert.match(await page.textContent("#moved"), new RegExp(`moved ${moved} of 1000 keys \\(ideal ≈ 167\\)`));
    assert.equal(await page.locator("#ring .key.moved").count(), moved, "every moved key is highlighted");
    assert.equal(await pointCount(), expectPoints(40, after));
    await page.screenshot({ path: path.join(shots, "demo-removed.png") });

    // Strategy changes redraw the bars with that strategy's counts; maglev has no ring points.
    for (const choice of ["maglev", "rendezvous+bounded", "hash", "ring+bounded"]) {
      const old = await bars();
      await page.selectOption("#strategy", choice);
      await page.waitForFunction((o) => JSON.stringify([...document.querySelectorAll(".bar-row")].map((r) => Number(r.dataset.count))) !== o,
        JSON.stringify(Object.values(old)));
      const want = countsOf(owners(choice, after, 40), after);
      assert.deepEqual(await bars(), want, `${choice} bars`);
      if (choice.includes("+bounded")) {
        // Bounded loads: with every key in flight, no origin holds more than ceil(1.25 × 1000 × its share).
        const total = after.reduce((a, n) => a + n.weight, 0);
        for (const n of after) assert.ok(want[n.id] <= Math.ceil((1.25 * 1000 * n.weight) / total), `${choice}: ${n.id} ${want[n.id]}`);
      }
      if (!choice.startsWith("ring")) assert.equal(await pointCount(), 0);
    }
    // Modulo contrast: re-adding one origin moves most keys.
    await page.selectOption("#strategy", "hash");
    await page.fill("#add-id", "origin-f");
    await page.press("#add-id", "Enter");
    await page.waitForFunction(() => /origin-f added/.test(document.getElementById("moved").textContent));
    assert.ok(Number(await page.getAttribute("#moved", "data-moved")) > 600, "hash mod N moves most keys on an add");
    // A bad change shows the package's error code and leaves the pool as it was.
    await page.fill("#add-id", "origin-a");
    await page.press("#add-id", "Enter");
    await page.waitForSelector("#error:not([hidden])");
    assert.match(await page.textContent("#error"), /^ERR_DUPLICATE_ID: /);
    assert.equal(await page.locator("#nodes tbody tr").count(), 5);
    await page.selectOption("#strategy", "ring");
    await page.waitForSelector("#error", { state: "hidden" });

    // Key search: position, pick and pickN from the package.
    const nodesNow = [...after, { id: "origin-f", weight: 1 }];
    const twin = new Router(optionsFor("ring", nodesNow, 40));
    for (const key of ["/user/42", "ключ/🎉", ""]) {
      await page.fill("#search", key);
      const text = await page.textContent("#search-out");
      assert.ok(text.includes(twin.pickN(key, 3).join(" → ")), text);
      assert.ok(text.includes(twin.keyPosition(key).toFixed(6)), text);
    }
    // Keyboard inspection of keys and ring points.
    await page.focus("#ring");
    await page.keyboard.press("ArrowRight");
    assert.match(await page.textContent("#inspect"), new RegExp(`^${keyName(0)} at .* → ${twin.pick(keyName(0))}`));
    await page.keyboard.press("ArrowDown");
    const pts = twin.ringPoints();
    assert.match(await page.textContent("#inspect"), new RegExp(`ring point 1 of ${pts.positions.length} .* owned by ${pts.owners[0]}`));

    // Traffic: origin-a fails every request, gets ejected, and comes back once it recovers.
    const row = page.locator("#t-nodes tr[data-id='origin-a']");
    await row.locator("input.fail").fill("100");
    await page.click("#t-run");
    await page.waitForFunction(() => document.querySelector("#t-nodes tr[data-id='origin-a'] .state").textContent === "ejected", null, { timeout: 15000 });
    await page.screenshot({ path: path.join(shots, "demo-traffic.png"), fullPage: true });
    await row.locator("input.fail").fill("0");
    await page.waitForFunction(() => document.querySelector("#t-nodes tr[data-id='origin-a'] .state").textContent === "healthy", null, { timeout: 20000 });
    assert.ok(Number(await page.getAttribute("#t-chart", "data-columns")) > 2, "the share chart has columns");
    const shares = await page.$$eval("#t-nodes tbody tr .share", (tds) => tds.map((td) => td.textContent));
    assert.ok(shares.every((s) => /^\d+%$/.test(s)), `shares ${shares}`);
    await page.click("#t-run");

    // Readable at phone width: nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(overflow <= 390, `page is ${overflow}px wide at 390px`);
    await page.screenshot({ path: path.join(shots, "demo-phone.png"), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.kill();
  }
});
