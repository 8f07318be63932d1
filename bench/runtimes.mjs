// make bench (last part): edgeroute against the npm rings in every runtime it ships for: Node 20 (this machine's),
// 22, 24, 26, Bun, Deno, workerd (Miniflare) and headless Chromium. One benchmark, bench/runtimes/core.mjs, runs
// inside each runtime on the same 100 nodes: 8/32/256-byte ASCII and UTF-8 keys (50,000 distinct keys per
// shape) and a Zipf stream (200,000 draws, exponent 1.0, over 100,000 distinct 32-byte ASCII keys); edgeroute
// ring `pick` and `pickMany` (batches of 1,000) against consistent-hash@1.2.2 `get` and hashring@3.2.0 `get`;
// warm-up, then 5 rounds with the contenders interleaved in each, median ns per key. Before timing a shape, every
// runtime asserts that pick and pickMany name the same owner for every key.
//
// How each runtime is timed:
//   Node, Bun, Deno  a subprocess runs bench/runtimes/driver.mjs and times each pass with performance.now(); the
//                    heap is collected before every pass (--expose-gc, Bun.gc(true), Deno --v8-flags=--expose-gc).
//   Chromium         a page served over loopback with COOP/COEP headers (cross-origin isolated, so performance.now()
//                    is coarsened to 5 µs rather than 100 µs; a pass is milliseconds anyway) imports pkg/web.js,
//                    awaits init() and runs the same benchmark (--js-flags=--expose-gc for the collections).
//   workerd          deployed Workers freeze performance.now()/Date.now() while a request runs, so the host times
//                    every contender × shape × round as its own dispatchFetch (bench/runtimes/worker.mjs) and
//                    subtracts the median of empty requests (one sent after every timed one). Each timed request
//                    repeats its pass until it lasts ≥ WORKERD_TARGET_MS (calibrated in the warm-up), so the
//                    dispatch overhead (≈ 2–3 ms) and its jitter are a small part of it. The isolate's own clock
//                    (which local workerd does advance, in 1 ms steps) is kept as a cross-check and printed.
//                    No heap collection between passes there.
// The peers are CommonJS: esbuild bundles them into one ESM file in a temp dir, with `crypto` pointing at
// node:crypto (Node, Bun, Deno; workerd through nodejs_compat) or, for Chromium, at an empty module: a page has
// no node:crypto, so hashring (createHash("md5") on every lookup) cannot run there and is reported as skipped.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { SHAPES, CONTENDERS, ROUNDS, N_KEYS, ZIPF, N_NODES, median } from "./runtimes/core.mjs";

const root = path.resolve(import.meta.dirname, "..");
const require = createRequire(path.join(root, "package.json"));
const started = performance.now();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "edgeroute-runtimes-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true })); // also when something throws
const WORKERD_TARGET_MS = 60;
const only = process.env.RUNTIMES?.split(","); // e.g. RUNTIMES=node20,chromium: a subset, for trying things out

// --- the peers, bundled ---
const esbuild = await import("esbuild");
fs.writeFileSync(path.join(tmp, "peers-entry.mjs"), `import HashRing from ${JSON.stringify(require.resolve("hashring"))};
import ConsistentHash from ${JSON.stringify(require.resolve("consistent-hash"))};
export { HashRing, ConsistentHash };
`);
fs.writeFileSync(path.join(tmp, "crypto-node.mjs"), `export { createHash } from "node:crypto";\n`);
fs.writeFileSync(path.join(tmp, "crypto-none.mjs"), `export {};\n`);
async function bundle(out, cryptoShim) {
  await esbuild.build({
    entryPoints: [path.join(tmp, "peers-entry.mjs")],
    outfile: path.join(tmp, out),
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["main"],
    external: ["node:crypto"],
    logLevel: "error",
    plugins: [{ name: "crypto", setup: (b) => b.onResolve({ filter: /^crypto$/ }, () => ({ path: path.join(tmp, cryptoShim) })) }],
  });
  return path.join(tmp, out);
}
const peersNode = await bundle("peers-node.mjs", "crypto-node.mjs");
const peersWeb = await bundle("peers-web.mjs", "crypto-none.mjs");

// --- the runtimes ---
const results = []; // { runtime, how, result?, error?, seconds }
const version = (bin, args) => execFileSync(bin, args, { encoding: "utf8" }).trim();

function subprocess(runtime, bin, args) {
  const p = spawnSync(bin, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 26 });
  const line = p.stdout?.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`${runtime}: exit ${p.status}${p.error ? ` (${p.error.message})` : ""}, no result`);
  return JSON.parse(line.slice(7));
}

async function measure(key, label, how, fn) {
  if (only && !only.includes(key)) return;
  const t = performance.now();
  console.log(`\n== ${label}`);
  let row;
  try {
    const result = await fn();
    row = { runtime: label, how, result, seconds: (performance.now() - t) / 1000 };
  } catch (e) {
    row = { runtime: label, how, error: String(e?.message ?? e).split("\n")[0], seconds: (performance.now() - t) / 1000 };
  }
  results.push(row);
  printRuntime(row);
}

const driver = path.join(root, "bench/runtimes/driver.mjs");
const nodes = [["node20", process.execPath]];
for (const major of [22, 24, 26]) nodes.push([`node${major}`, path.join(root, `.tools/node-${major}/bin/node`)]);
for (const [key, bin] of nodes) {
  if (!fs.existsSync(bin)) {
    if (!only || only.includes(key)) results.push({ runtime: key, error: `${bin} not found` });
    continue;
  }
  await measure(key, `Node ${version(bin, ["--version"]).slice(1)}`, "subprocess, performance.now()", () =>
    subprocess(key, bin, ["--expose-gc", driver, peersNode]),
  );
}
const bun = path.join(root, ".tools/bin/bun");
await measure("bun", fs.existsSync(bun) ? `Bun ${version(bun, ["--version"])}` : "Bun", "subprocess, performance.now()", () =>
  subprocess("bun", bun, [driver, peersNode]),
);
const deno = path.join(root, "node_modules/.bin/deno");
await measure("deno", `Deno ${version(deno, ["--version"]).split(/\s+/)[1]}`, "subprocess, performance.now()", () =>
  subprocess("deno", deno, ["run", "--allow-read", "--v8-flags=--expose-gc", driver, peersNode]),
);

// workerd through Miniflare: each contender × shape × round is one request, timed from the host.
const workerdVersion = JSON.parse(fs.readFileSync(require.resolve("workerd/package.json"), "utf8")).version;
await measure("workerd", `workerd ${workerdVersion} (Miniflare)`, "host-timed requests − empty-request median", async () => {
  const dir = fs.mkdtempSync(path.join(tmp, "worker-"));
  for (const f of fs.readdirSync(path.join(root, "pkg"))) {
    if (/\.(js|wasm)$/.test(f)) fs.copyFileSync(path.join(root, "pkg", f), path.join(dir, f));
  }
  fs.copyFileSync(path.join(root, "bench/runtimes/core.mjs"), path.join(dir, "core.mjs"));
  fs.copyFileSync(path.join(root, "test-js/shared/prng.js"), path.join(dir, "prng.js"));
  fs.copyFileSync(path.join(root, "bench/runtimes/worker.mjs"), path.join(dir, "index.mjs"));
  fs.copyFileSync(peersNode, path.join(dir, "peers.mjs"));
  const { Miniflare } = await import("miniflare");
  const mf = new Miniflare({
    modules: true,
    scriptPath: path.join(dir, "index.mjs"),
    modulesRoot: dir,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2026-01-01",
    compatibilityFlags: ["nodejs_compat"],
  });
  const empties = [];
  const get = async (p) => {
    const t = performance.now();
    const res = await mf.dispatchFetch(`http://localhost${p}`);
    const body = await res.text();
    const ms = performance.now() - t;
    if (!res.ok) throw new Error(`${p}: ${res.status} ${body}`);
    return { ms, body: p === "/empty" ? body : JSON.parse(body) };
  };
  const empty = async () => empties.push((await get("/empty")).ms);
  try {
    const { body: info } = await get("/info");
    for (let i = 0; i < 20; i++) await empty();
    const shapes = {};
    const inner = {}; // the isolate's own clock, the cross-check
    for (let s = 0; s < SHAPES.length; s++) {
      const { body: chk } = await get(`/check?s=${s}`);
      await get(`/warm?s=${s}`);
      await get(`/warm?s=${s}`);
      const reps = {};
      for (const c of info.contenders) {
        const { ms } = await get(`/run?s=${s}&c=${c}&reps=1`); // calibration (and one more warm-up pass)
        await empty();
        reps[c] = Math.max(1, Math.ceil(WORKERD_TARGET_MS / Math.max(0.1, ms - median(empties))));
      }
      const host = Object.fromEntries(info.contenders.map((c) => [c, []]));
      const own = Object.fromEntries(info.contenders.map((c) => [c, []]));
      for (let r = 0; r < ROUNDS; r++) {
        for (const c of info.contenders) {
          const { ms, body } = await get(`/run?s=${s}&c=${c}&reps=${reps[c]}`);
          await empty();
          host[c].push({ ms, n: reps[c] * chk.keys });
          own[c].push((body.ms * 1e6) / (reps[c] * chk.keys));
        }
      }
      const base = median(empties);
      shapes[SHAPES[s].name] = {
        ns: Object.fromEntries(Object.entries(host).map(([c, v]) => [c, median(v.map((x) => ((x.ms - base) * 1e6) / x.n))])),
        checked: chk.checked,
        keys: chk.keys,
        reps,
      };
      inner[SHAPES[s].name] = Object.fromEntries(Object.entries(own).map(([c, v]) => [c, median(v)]));
      console.log(`  ${SHAPES[s].name}: ${Object.entries(shapes[SHAPES[s].name].ns).map(([n, v]) => `${n} ${v.toFixed(0)}`).join(", ")}`);
    }
    return { shapes, skipped: info.skipped, inner, baselineMs: median(empties), empties: empties.length };
  } finally {
    await mf.dispose();
  }
});

// Chromium: a cross-origin-isolated page on loopback runs the benchmark with its own performance.now().
await measure("chromium", "Chromium", "page, performance.now() (cross-origin isolated)", async () => {
  const files = { "/peers.mjs": peersWeb, "/core.mjs": path.join(root, "bench/runtimes/core.mjs"), "/prng.js": path.join(root, "test-js/shared/prng.js") };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const headers = { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" };
    if (url.pathname === "/favicon.ico") return void res.writeHead(204).end();
    if (url.pathname === "/") return void res.writeHead(200, { ...headers, "content-type": "text/html" }).end("<!doctype html><title>bench</title>");
    const file = files[url.pathname] ?? path.join(root, path.normalize(url.pathname));
    if (!(url.pathname in files) && !file.startsWith(path.join(root, "pkg") + path.sep)) return void res.writeHead(404).end();
    if (!fs.existsSync(file)) return void res.writeHead(404).end();
    const type = file.endsWith(".wasm") ? "application/wasm" : "text/javascript";
    res.writeHead(200, { ...headers, "content-type": type });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { chromium } = await import("playwright-core");
  const args = ["--no-sandbox", "--disable-gpu", "--js-flags=--expose-gc", "--disable-background-networking", "--disable-component-update", "--no-first-run"];
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium", args });
  try {
    const page = await browser.newPage();
    page.on("console", (m) => console.log(`  ${m.text()}`));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const result = await page.evaluate(async () => {
      const { default: init, Router } = await import("/pkg/web.js");
      await init();
      const { HashRing, ConsistentHash } = await import("/peers.mjs");
      const { benchmark } = await import("/core.mjs");
      const gc = typeof window.gc === "function" ? () => window.gc() : undefined;
      const r = benchmark({ Router, HashRing, ConsistentHash, now: () => performance.now(), gc, log: (s) => console.log(s) });
      return { ...r, isolated: self.crossOriginIsolated, gc: Boolean(gc) };
    });
    result.version = browser.version();
    return result;
  } finally {
    await browser.close();
    server.close();
  }
}).then(() => {
  const row = results.find((r) => r.runtime === "Chromium");
  if (row?.result?.version) row.runtime = `Chromium ${row.result.version}`;
});

// --- the tables ---
function skippedCell(why) {
  return why === undefined ? "n/a" : /crypto|createHash/i.test(why) ? "n/a: needs node:crypto" : `n/a: ${why}`;
}
function cells(res, shape) {
  const ns = res.shapes[shape]?.ns ?? {};
  const f = (v) => (v === undefined ? "n/a" : v >= 1000 ? Math.round(v).toLocaleString("en-US") : v.toFixed(0));
  const ratio = (peer, ours, goal) => {
    if (ns[peer] === undefined) return "n/a";
    const x = ns[peer] / ns[ours];
    const s = `${x.toFixed(2)}×`;
    return x >= goal ? `**${s}**` : s;
  };
  return [
    f(ns.pick),
    f(ns.pickMany),
    f(ns["consistent-hash"]),
    ns.hashring === undefined ? skippedCell(res.skipped?.hashring) : f(ns.hashring),
    ratio("consistent-hash", "pick", 1.5),
    ratio("consistent-hash", "pickMany", 1.5),
    ratio("hashring", "pick", 30),
    ratio("hashring", "pickMany", 30),
  ];
}
const header = "| runtime | keys | pick ns | pickMany ns | consistent-hash ns | hashring ns | ch/pick | ch/pickMany | hr/pick | hr/pickMany |";
const rule = "|---|---|---|---|---|---|---|---|---|---|";

function printRuntime(row) {
  if (row.error) return void console.log(`  could not run: ${row.error}`);
  const res = row.result;
  const gc = res.gc === undefined ? "" : res.gc ? "; heap collected before each pass" : "; no heap collection between passes";
  console.log(`  ${row.how}${gc}; ${row.seconds.toFixed(0)} s; pick ≡ pickMany checked on ${Object.values(res.shapes).map((s) => s.checked.toLocaleString("en-US")).join(" / ")} keys`);
  for (const [n, why] of Object.entries(res.skipped ?? {})) console.log(`  ${n} skipped: ${why}`);
  if (res.isolated === false) console.log("  (page not cross-origin isolated: performance.now() is coarsened to 100 µs)");
  console.log("  | keys | pick | pickMany | consistent-hash | hashring | ch/pick | ch/pickMany | hr/pick | hr/pickMany |");
  for (const s of SHAPES) console.log(`  | ${s.name} | ${cells(res, s.name).join(" | ")} |`);
  if (res.inner) {
    const agree = SHAPES.flatMap((s) => CONTENDERS.filter((c) => res.inner[s.name][c] !== undefined).map((c) => res.inner[s.name][c] / res.shapes[s.name].ns[c]));
    console.log(`  empty-request baseline ${res.baselineMs.toFixed(2)} ms (median of ${res.empties}); the isolate's own clock / host timing: median ${median(agree).toFixed(3)}, range ${Math.min(...agree).toFixed(2)}–${Math.max(...agree).toFixed(2)}`);
  }
}

console.log(`\nedgeroute vs npm peers in every runtime: ${N_NODES} nodes; ${N_KEYS.toLocaleString("en-US")} distinct keys per shape; Zipf: ${ZIPF.draws.toLocaleString("en-US")} draws (s = ${ZIPF.exponent}) over ${ZIPF.keys.toLocaleString("en-US")} distinct 32-byte ASCII keys`);
console.log(`ns per key, median of ${ROUNDS} interleaved rounds; ratios peer/edgeroute (bold: meets the goal, ≥ 1.5× consistent-hash, ≥ 30× hashring); pickMany in batches of 1,000\n`);
console.log(header);
console.log(rule);
for (const row of results) {
  if (row.error) console.log(`| ${row.runtime} | could not run: ${row.error} | | | | | | | | |`);
  else for (const s of SHAPES) console.log(`| ${row.runtime} | ${s.name} | ${cells(row.result, s.name).join(" | ")} |`);
}
console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s`);
