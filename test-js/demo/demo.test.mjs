// The demo page served by the real demo server, in headless Chromium (playwright-core, Debian's Chromium). The
// page's figures are recomputed here in Node with the same package and must match: ring points for the config,
// the "moved" count after removing a node, the per-origin bars after a strategy change (bounded loads too), the
// key search, keyboard inspection, and the traffic panel ejecting and restoring a failing origin; then its zones
// (the local share falls as the model says), backups (nothing while the primaries are up, the spill after) and
// slow start (an origin marked back up ramps over 5 s). spillModel, which the page shows, is checked against the
// Router's own picks in Node.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import { chromium } from "playwright-core";
import { Router } from "../../pkg/node.mjs";
import { optionsFor, ownersOf, keyName, spillModel } from "../../www/model.js";

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

    // Zones: origin-b, -d, -e and -f in zone-1, the caller's; origin-a (weight 2) in zone-2. All healthy: every
    // request stays in zone-1. Each change restarts the page's measurement (data-n counts the requests since).
    const trow = (id) => page.locator(`#t-nodes tr[data-id='${id}']`);
    const measure = async (n) => {
      await page.waitForFunction((m) => Number(document.getElementById("t-summary").dataset.n) >= m, n, { timeout: 15000 });
      return page.$eval("#t-summary", (e) => ({ ...e.dataset, text: e.textContent }));
    };
    const shareOf = async (id) => Number((await trow(id).locator(".share").textContent()).replace("%", "")) / 100;
    for (const id of ["origin-b", "origin-d", "origin-e", "origin-f"]) await trow(id).locator("select.zone").selectOption("zone-1");
    await trow("origin-a").locator("select.zone").selectOption("zone-2");
    await page.selectOption("#t-zone", "zone-1");
    await page.selectOption("#t-rate", "500");
    await page.click("#t-run");
    let sum = await measure(600);
    assert.equal(Number(sum.localModel), 1, sum.text);
    assert.equal(Number(sum.local), 1, `all of zone-1 is up, so nothing leaves it: ${sum.text}`);
    // Two of the four local origins down: h = 0.5, so the model keeps min(1, 1.4 × 0.5) = 0.7 local; without the
    // zone option least-latency would send about half to origin-a (weight 2 of 4 usable).
    await trow("origin-b").locator("input.down").check();
    await trow("origin-d").locator("input.down").check();
    sum = await measure(800);
    assert.ok(Math.abs(Number(sum.localModel) - 0.7) < 1e-9, sum.text);
    assert.ok(Math.abs(Number(sum.local) - 0.7) < 0.07, `local share ${sum.local}, model 0.7: ${sum.text}`);
    assert.match(sum.text, /Kept in zone-1: \d+% measured, 70% by the model .*h = 0\.50/);
    assert.equal(await trow("origin-b").locator(".state").textContent(), "down");
    assert.equal(await shareOf("origin-b"), 0);
    assert.ok((await shareOf("origin-a")) > 0.2, "the spill goes to zone-2");
    // A zone change makes setNodes take the node out and back in: the panel marks it down again.
    await trow("origin-b").locator("select.zone").selectOption("zone-3");
    await page.waitForTimeout(200);
    assert.equal(await trow("origin-b").locator(".state").textContent(), "down", "a down origin stays down when its zone changes");
    await trow("origin-b").locator("select.zone").selectOption("zone-1");
    await page.screenshot({ path: path.join(shots, "demo-zones.png"), fullPage: true });

    // Backups: origin-e and -f at priority 1, no caller's zone. While the primaries (a: 2, b, d) are all up the
    // backups get no request at all; with a and b down the primaries are 1.4 × 1/4 = 35% available, so the
    // backups take 65%.
    await trow("origin-b").locator("input.down").uncheck();
    await trow("origin-d").locator("input.down").uncheck();
    await page.selectOption("#t-zone", "");
    await trow("origin-e").locator("input.backup").check();
    await trow("origin-f").locator("input.backup").check();
    sum = await measure(800);
    assert.equal(Number(sum.backupModel), 0, sum.text);
    assert.equal(Number(sum.backup), 0, `backups took requests while the primaries were up: ${sum.text}`);
    assert.equal(await shareOf("origin-e"), 0);
    assert.equal(await shareOf("origin-f"), 0);
    await trow("origin-a").locator("input.down").check();
    await trow("origin-b").locator("input.down").check();
    sum = await measure(800);
    assert.ok(Math.abs(Number(sum.backupModel) - 0.65) < 1e-9, sum.text);
    assert.ok(Math.abs(Number(sum.backup) - 0.65) < 0.07, `backup share ${sum.backup}, model 0.65: ${sum.text}`);
    assert.ok((await shareOf("origin-e")) > 0.15 && (await shareOf("origin-f")) > 0.15, "both backups take the spill");
    await trow("origin-a").locator("input.down").uncheck();
    await trow("origin-b").locator("input.down").uncheck();
    await trow("origin-e").locator("input.backup").uncheck();
    await trow("origin-f").locator("input.backup").uncheck();

    // Slow start: origin-d marked down, then up, ramps from 10% of its weight to full over 5 s.
    const ew = () => trow("origin-d").locator(".eweight").getAttribute("data-value").then(Number);
    await page.check("#t-slow");
    await page.waitForTimeout(300);
    assert.equal(await ew(), 1, "no ramp before any change");
    await trow("origin-d").locator("input.down").check();
    await page.waitForTimeout(300);
    assert.equal(await ew(), 0, "a down origin has no effective weight");
    await trow("origin-d").locator("input.down").uncheck();
    const restored = Date.now();
    await page.waitForTimeout(300);
    const early = await ew();
    assert.ok(early > 0 && early < 0.5, `effective weight right after the restore: ${early}`);
    assert.equal(await trow("origin-d").locator(".eweight.ramping").count(), 1);
    await page.waitForTimeout(2500 - (Date.now() - restored));
    const mid = await ew();
    assert.ok(mid > early && mid < 0.8, `effective weight 2.5 s into the 5 s ramp: ${mid}`);
    await page.waitForFunction(() => document.querySelector("#t-nodes tr[data-id='origin-d'] .eweight").dataset.value === "1", null, { timeout: 10000 });
    const took = Date.now() - restored;
    assert.ok(took > 4000 && took < 8000, `the ramp took ${took} ms, for slowStartMs 5000`);
    // An origin added to the pool ramps as well (the panel keeps its Router and calls setNodes).
    await page.fill("#add-id", "origin-g");
    await page.press("#add-id", "Enter");
    await page.waitForSelector("#t-nodes tr[data-id='origin-g']");
    const added = Number(await trow("origin-g").locator(".eweight").getAttribute("data-value"));
    assert.ok(added > 0 && added < 0.5, `effective weight of a just added origin: ${added}`);
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

// The model the page prints is the Router's: the local and backup shares of many seeded random picks match
// spillModel for zones alone, backups alone and both together.
test("spillModel is what the Router does", () => {
  const scenarios = [
    { nodes: [{ id: "a", weight: 2, zone: "z2" }, { id: "b", zone: "z1" }, { id: "c", zone: "z1" }, { id: "d", zone: "z1" }, { id: "e", zone: "z1" }], down: ["b", "c"], zone: "z1", local: 0.7 },
    { nodes: [{ id: "a", weight: 2 }, { id: "b" }, { id: "d" }, { id: "e", priority: 1 }, { id: "f", priority: 1 }], down: ["a", "b"], zone: "", backup: 0.65 },
    { nodes: [{ id: "a", weight: 2 }, { id: "b" }, { id: "d" }, { id: "e", priority: 1 }, { id: "f", priority: 1 }], down: [], zone: "", backup: 0 },
    {
      nodes: [{ id: "a", zone: "z1" }, { id: "b", zone: "z1" }, { id: "c", zone: "z1" }, { id: "d", zone: "z2" }, { id: "e", zone: "z2" }, { id: "f", zone: "z1", priority: 1 }, { id: "g", zone: "z2", priority: 1 }],
      down: ["a", "b", "d"], zone: "z1",
    },
  ];
  for (const sc of scenarios) {
    const r = new Router({ strategy: "random", seed: 7, nodes: sc.nodes, health: { panicThreshold: 0 } });
    for (const id of sc.down) r.markDown(id);
    const model = spillModel(sc.nodes.map((n) => ({ weight: n.weight ?? 1, zone: n.zone, priority: n.priority ?? 0, usable: !sc.down.includes(n.id) })), sc.zone);
    const backupModel = model.levels.filter((l) => l.priority > 0).reduce((a, l) => a + l.load, 0);
    if (sc.local !== undefined) assert.ok(Math.abs(model.local - sc.local) < 1e-9, `model local ${model.local}`);
    if (sc.backup !== undefined) assert.ok(Math.abs(backupModel - sc.backup) < 1e-9, `model backup ${backupModel}`);
    const spec = new Map(sc.nodes.map((n) => [n.id, n]));
    const N = 40000;
    let local = 0;
    let backup = 0;
    for (let i = 0; i < N; i++) {
      const n = spec.get(sc.zone ? r.pick(undefined, { zone: sc.zone }) : r.pick());
      assert.ok(!sc.down.includes(n.id), `picked ${n.id}, which is down`);
      if (sc.zone && n.zone === sc.zone) local++;
      if (n.priority) backup++;
    }
    const what = JSON.stringify(sc);
    if (sc.zone) assert.ok(Math.abs(local / N - model.local) < 0.015, `${what}: local ${local / N}, model ${model.local}`);
    assert.ok(Math.abs(backup / N - backupModel) < 0.015, `${what}: backup ${backup / N}, model ${backupModel}`);
    r.free();
  }
});
