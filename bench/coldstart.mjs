// make bench (third part): cold start, from `import` of the package to the first pick, in a fresh process or page
// per run: Node 20 (this machine's), 22, 24, 26 and Bun (scripts/setup.sh test installs them), Deno, headless
// Chromium, and workerd through Miniflare. Median of 7 runs each. docs/performance.md has the figures.
//
// Node, Bun and Deno time it themselves: performance.now() before the dynamic import and after the first pick of a
// 100-node ring. A page does the same around `import` + `init()` (the .wasm fetched over loopback). workerd freezes
// its clocks while a request runs, so there the host times a fresh Miniflare's first request to a Worker that
// imports edgeroute and picks, against the same for a Worker that does not: the difference is the package's part.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";

const root = path.resolve(import.meta.dirname, "..");
const RUNS = 7;
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const nodes = JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ id: `origin-${i}.example.net:443` })));
const probe = (entry) => `const t0 = performance.now();
const { Router } = await import(${JSON.stringify(entry)});
const r = new Router({ strategy: "ring", nodes: ${nodes} });
r.pick("/first/key");
console.log(performance.now() - t0);
`;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "edgeroute-cold-"));
const script = (name, entry) => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, probe(entry));
  return f;
};
const nodeProbe = script("probe.mjs", path.join(root, "pkg/node.mjs"));
const denoProbe = script("probe-deno.mjs", new URL(`file://${path.join(root, "pkg/deno.js")}`).href);

function timed(cmd, args) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(Number(execFileSync(cmd, args, { encoding: "utf8" }).trim()));
  return median(runs);
}

const rows = [];
const add = (runtime, ms, how) => rows.push({ runtime, ms, how });
add(`Node ${process.version}`, timed(process.execPath, [nodeProbe]), "import → first pick");
for (const major of [22, 24, 26]) {
  const bin = path.join(root, `.tools/node-${major}/bin/node`);
  if (fs.existsSync(bin)) add(`Node ${execFileSync(bin, ["--version"], { encoding: "utf8" }).trim()}`, timed(bin, [nodeProbe]), "import → first pick");
}
const bun = path.join(root, ".tools/bin/bun");
if (fs.existsSync(bun)) add(`Bun ${execFileSync(bun, ["--version"], { encoding: "utf8" }).trim()}`, timed(bun, [nodeProbe]), "import → first pick");
const deno = path.join(root, "node_modules/.bin/deno");
add(`Deno ${execFileSync(deno, ["--version"], { encoding: "utf8" }).split(" ")[1]}`, timed(deno, ["run", "--allow-read", denoProbe]), "import → first pick");

// Chromium: a page that imports pkg/web.js, awaits init() (fetching the .wasm) and picks.
const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  if (url.pathname === "/") {
    res.writeHead(200, { "content-type": "text/html" });
    return void res.end(`<!doctype html><script type="module">
const t0 = performance.now();
const { default: init, Router } = await import("/pkg/web.js");
await init();
new Router({ strategy: "ring", nodes: ${nodes} }).pick("/first/key");
window.__ms = performance.now() - t0;
</script>`);
  }
  const file = path.join(root, path.normalize(url.pathname));
  if (!file.startsWith(path.join(root, "pkg")) || !fs.existsSync(file)) return void res.writeHead(404).end();
  res.writeHead(200, { "content-type": file.endsWith(".wasm") ? "application/wasm" : "text/javascript" });
  fs.createReadStream(file).pipe(res);
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
try {
  const { chromium } = await import("playwright-core");
  const args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium", args });
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const ctx = await browser.newContext(); // a fresh cache each run
    const page = await ctx.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    runs.push(await page.waitForFunction(() => window.__ms).then((h) => h.jsonValue()));
    await ctx.close();
  }
  add(`Chromium ${browser.version()}`, median(runs), "import + init() (fetching the .wasm) → first pick");
  await browser.close();
} finally {
  server.close();
}

// workerd: the host times a fresh Miniflare's first request, with and without the package.
const { Miniflare } = await import("miniflare");
const worker = (withPackage) => `${withPackage ? `import { Router } from "./workerd.js";\n` : ""}export default {
  async fetch() {
    ${withPackage ? `return new Response(new Router({ strategy: "ring", nodes: ${nodes} }).pick("/first/key"));` : `return new Response("x");`}
  },
};`;
async function firstRequest(withPackage) {
  const dir = fs.mkdtempSync(path.join(tmp, "w-"));
  for (const f of fs.readdirSync(path.join(root, "pkg"))) {
    if (/\.(js|wasm)$/.test(f)) fs.copyFileSync(path.join(root, "pkg", f), path.join(dir, f));
  }
  fs.writeFileSync(path.join(dir, "index.js"), worker(withPackage));
  const mf = new Miniflare({
    modules: true,
    scriptPath: path.join(dir, "index.js"),
    modulesRoot: dir,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2026-01-01",
  });
  const t0 = performance.now();
  const res = await mf.dispatchFetch("http://localhost/");
  await res.text();
  const ms = performance.now() - t0;
  await mf.dispose();
  return ms;
}
const withPkg = [];
const without = [];
for (let i = 0; i < RUNS; i++) {
  without.push(await firstRequest(false));
  withPkg.push(await firstRequest(true));
}
add(`workerd (miniflare)`, median(withPkg) - median(without), `first request with the package minus without (${median(withPkg).toFixed(1)} − ${median(without).toFixed(1)} ms)`);
fs.rmSync(tmp, { recursive: true, force: true });

console.log(`\ncold start, import of the package to the first pick of a 100-node ring, ms (median of ${RUNS} fresh runs)`);
for (const r of rows) console.log(`  ${r.runtime.padEnd(28)} ${r.ms.toFixed(1).padStart(7)}   ${r.how}`);
