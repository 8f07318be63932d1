// Serves the demo (www/) and the built package (pkg/, at /pkg/) on http://127.0.0.1:8080 (PORT to change).
// `--check` starts on a free port, checks that the page, the module and the wasm are served with the right
// types, and exits: make test runs that.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const root = path.resolve(import.meta.dirname, "..");
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".json": "application/json", ".wasm": "application/wasm", ".png": "image/png", ".svg": "image/svg+xml" };

function resolve(urlPath) {
  const p = path.posix.normalize(decodeURIComponent(urlPath));
  const [base, rest] = p.startsWith("/pkg/") ? ["pkg", p.slice(5)] : ["www", p === "/" ? "index.html" : p.slice(1)];
  const file = path.join(root, base, rest);
  return file.startsWith(path.join(root, base)) ? file : null;
}

export function createServer() {
  return http.createServer((req, res) => {
    const file = resolve(new URL(req.url, "http://x").pathname);
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
    fs.createReadStream(file).pipe(res);
  });
}

// Run as a program (not when imported by scripts/demo-screenshot.mjs).
if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!fs.existsSync(path.join(root, "pkg/web.js"))) {
    console.error("pkg/ is not built: run `make pkg` (or `make demo`, which builds it)");
    process.exit(1);
  }

  const check = process.argv.includes("--check");
  const server = createServer();
  const port = check ? 0 : Number(process.env.PORT ?? 8080);
  server.listen(port, "127.0.0.1", async () => {
    const base = `http://127.0.0.1:${server.address().port}`;
    if (!check) {
      console.log(`edgeroute demo: ${base}/  (Ctrl-C to stop)`);
      return;
    }
    const want = { "/": "text/html", "/app.js": "text/javascript", "/pkg/web.js": "text/javascript", "/pkg/edgeroute_bg.wasm": "application/wasm" };
    let failed = 0;
    for (const [p, type] of Object.entries(want)) {
      const res = await fetch(base + p);
      const ok = res.status === 200 && (res.headers.get("content-type") ?? "").startsWith(type);
      if (!ok) failed++;
      console.log(`${ok ? "ok  " : "FAIL"} GET ${p} -> ${res.status} ${res.headers.get("content-type")}`);
    }
    const miss = await fetch(base + "/../Cargo.toml");
    if (miss.status !== 404) failed++;
    console.log(`${4 - failed + (miss.status === 404 ? 1 : 0)} passed, ${failed} failed`);
    server.close();
    process.exitCode = failed ? 1 : 0;
  });
}
