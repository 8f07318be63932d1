// What the page tests share: Chromium as they launch it, a static server for a folder, and loading a page until
// it sets a global. Not a test file itself (no `.test.`), so importing it runs nothing.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

export const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run",
];
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json", ".wasm": "application/wasm" };

/** Debian's Chromium, headless (CHROMIUM_BIN overrides the path). */
export function launchChromium() {
  return chromium.launch({ executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

/** Serves the files below `root` on a free loopback port; `/` is `index` (a path relative to root). */
export function serve(root, index = "index.html") {
  const server = http.createServer((req, res) => {
    const p = path.normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
    const file = path.join(root, p === "/" ? index : p);
    if (!file.startsWith(root) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/**
 * Opens `url` in a new page and waits up to `timeout` ms for `window[name]`, or until the page throws. Returns its
 * value (undefined if the page never set it) and the page's uncaught errors, for the caller to assert on.
 */
export async function pageGlobal(browser, url, name, timeout = 30_000) {
  const page = await browser.newPage();
  const errors = [];
  const threw = new Promise((resolve) => page.on("pageerror", (e) => resolve(errors.push(String(e)))));
  try {
    await page.goto(url);
    await Promise.race([page.waitForFunction((n) => window[n] !== undefined, name, { timeout }).catch(() => {}), threw]);
    return { value: await page.evaluate((n) => window[n], name), errors };
  } finally {
    await page.close();
  }
}
