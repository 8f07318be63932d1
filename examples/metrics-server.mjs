// A Node reverse proxy that routes each request with routedFetch (the URL path picks the origin on a
// consistent-hash ring; a failing origin is retried on the next one and ejected) and serves the Router's metrics
// to Prometheus on GET /metrics.
//
//   ORIGINS='["http://127.0.0.1:9001","http://127.0.0.1:9002"]' PORT=8080 node examples/metrics-server.mjs
//
// Environment: ORIGINS (a JSON array of origin URLs; or give it as the first argument), PORT (default 8080; 0 for
// any free port), HOST (default 127.0.0.1), POOL (the `pool` label on every series, default "origins"). Prints
// `listening on http://HOST:PORT` once ready. Also serves GET /stats (router.stats() as JSON, for people).
//
// /metrics answers in the Prometheus text format 0.0.4, or in OpenMetrics 1.0 when asked with ?format=openmetrics
// or with an Accept header that names application/openmetrics-text (Prometheus's scraper asks for it first);
// ?format=prometheus forces the text format.
import http from "node:http";
import { Readable } from "node:stream";
import { Router, routedFetch } from "edgeroute";

const origins = JSON.parse(process.env.ORIGINS ?? process.argv[2] ?? "[]");
const router = new Router({ strategy: "ring", nodes: origins.map((id) => ({ id })) });
const labels = { pool: process.env.POOL ?? "origins" };
const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? "8080");

const TEXT = "text/plain; version=0.0.4; charset=utf-8";
const OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";
// Connection-level headers: they describe one hop, and fetch refuses some of them.
const HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host"]);

function metrics(req, url, res) {
  const asked = url.searchParams.get("format");
  const om = asked === "openmetrics" || (asked === null && (req.headers.accept ?? "").includes("application/openmetrics-text"));
  res.writeHead(200, { "content-type": om ? OPENMETRICS : TEXT });
  res.end(router.metrics({ labels, format: om ? "openmetrics" : "prometheus" }));
}

async function proxy(req, url, res) {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const request = new Request(url, { method: req.method, headers, body: hasBody ? Readable.toWeb(req) : null, duplex: "half" });
  try {
    const response = await routedFetch(router, request, { timeoutMs: 2000 });
    const out = {};
    // fetch has already decoded the body, so its encoding and length no longer apply.
    for (const [k, v] of response.headers) if (!HOP.has(k) && k !== "content-encoding" && k !== "content-length") out[k] = v;
    out["x-edgeroute-origin"] = new URL(response.url).origin;
    res.writeHead(response.status, out);
    if (response.body) Readable.fromWeb(response.body).on("error", () => res.destroy()).pipe(res);
    else res.end();
  } catch (e) {
    res.writeHead(502, { "content-type": "application/json" });
    res.end(JSON.stringify({ code: e.code, message: e.message }));
  }
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, `http://${req.headers.host ?? host}`);
  if (req.method === "GET" && url.pathname === "/metrics") return metrics(req, url, res);
  if (req.method === "GET" && url.pathname === "/stats") {
    res.writeHead(200, { "content-type": "application/json" });
    return res.end(JSON.stringify(router.stats()));
  }
  return proxy(req, url, res);
});
server.listen(port, host, () => console.log(`listening on http://${host}:${server.address().port}`));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)).closeAllConnections?.());
