// The packed package in a real page: headless Chromium (Debian's) driven by playwright-core, the page served
// from this temporary project on loopback.
import test from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { launchChromium, pageGlobal, serve } from "./page.mjs";

const proj = path.resolve(import.meta.dirname, "../..");

test("the package works in a page in headless Chromium", async () => {
  const server = await serve(proj, "test/browser/index.html");
  const browser = await launchChromium();
  try {
    const { value: r, errors } = await pageGlobal(browser, `http://127.0.0.1:${server.address().port}/`, "__results", 60_000);
    assert.notEqual(r, undefined, `the page set no results; page errors: ${errors.join("; ")}`);
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
