// A Cloudflare Worker that proxies every request with routedFetch (the URL path picks the origin on a
// consistent-hash ring; a failing origin is retried on the next one and ejected) and serves its Router's metrics
// in the Prometheus text format on GET /metrics.
// Configure the origins as a JSON array in the ORIGINS variable, e.g. ["https://a.example","https://b.example"],
// and set the secret METRICS_TOKEN to require `Authorization: Bearer <token>` on /metrics (the metrics name your
// origins). A Prometheus job for it: `metrics_path: /metrics`, `authorization: { credentials: <token> }`.
//
// Each isolate has its own Router, so its own counters: a scrape reaches one isolate, whose series carry an
// `isolate` label so that they never merge with another's; sum() over it in queries. To count every isolate,
// push router.otlpMetrics() to an OpenTelemetry collector instead (docs/monitoring.md).
import { Router, routedFetch } from "edgeroute";

let router; // built once per isolate, on the first request (env is only available there)
let isolate; // this isolate's label: randomness is not allowed at global scope, so drawn on the first request too

const encoder = new TextEncoder();

/** The request carries the token, compared in constant time. */
function authorized(request, token) {
  const got = encoder.encode(request.headers.get("authorization") ?? "");
  const want = encoder.encode(`Bearer ${token}`);
  return got.byteLength === want.byteLength && crypto.subtle.timingSafeEqual(got, want);
}

export default {
  async fetch(request, env) {
    router ??= new Router({ strategy: "ring", nodes: JSON.parse(env.ORIGINS).map((id) => ({ id })) });
    isolate ??= crypto.randomUUID();
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/metrics") {
      if (env.METRICS_TOKEN && !authorized(request, env.METRICS_TOKEN)) return new Response("unauthorized\n", { status: 401 });
      return new Response(router.metrics({ labels: { isolate } }), {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      });
    }
    try {
      return await routedFetch(router, request, { timeoutMs: 2000 });
    } catch (e) {
      // Every origin failed (e.code ERR_ALL_ATTEMPTS_FAILED, with e.attempts) or the deadline passed.
      return Response.json({ code: e.code, message: e.message }, { status: 502 });
    }
  },
};
