// Regenerates docs/demo.png, the README's screenshot of the demo page: the default pool, origin-c removed (its
// keys ringed), and 8 s of live traffic with one slow origin. Needs pkg/ (make pkg) and Debian's Chromium.
//   node scripts/demo-screenshot.mjs
import path from "node:path";
import { chromium } from "playwright-core";
import { createServer } from "./serve.mjs";

const root = path.resolve(import.meta.dirname, "..");
const server = createServer();
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1180 } });
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForSelector("body[data-ready=true]");
  await page.getByRole("button", { name: "remove origin-c" }).click();
  await page.locator("#t-nodes tr[data-id='origin-d'] input.lat").fill("200");
  await page.click("#t-run");
  await page.waitForTimeout(8000);
  await page.screenshot({ path: path.join(root, "docs/demo.png"), fullPage: true });
  console.log("wrote docs/demo.png");
} finally {
  await browser.close();
  server.close();
}
