// A Worker that proxies every request with routedFetch (and exposes its router's view for the test).
import { Router, routedFetch } from "edgeroute";

let router;

const inflight = (r) => r.stats().reduce((n, s) => n + s.inflight, 0);
const errorOf = (e) => ({ name: e?.name, code: e?.code, message: e?.message, hasCause: e?.cause !== undefined, attempts: e?.attempts });

/**
 * One routedFetch run inside the Worker, reading the body here, on a Router of its own over `nodes`. `abort`:
 * "before" (an already-aborted signal) or "mid-body" (aborted after the first part of the body). `bad`: call
 * routedFetch with a bad router, request or signal instead.
 */
async function probe({ nodes, path, method = "GET", options = {}, abort, bad }) {
  const r = new Router({ strategy: "ring", nodes: nodes.map((id) => ({ id })), health: false });
  const reason = new Error("caller gave up");
  const opts = { ...options };
  const ac = new AbortController();
  if (abort === "before") ac.abort(reason);
  if (abort) opts.signal = ac.signal;
  const out = {};
  try {
    const req = new Request(`http://edge.test${path}`, { method });
    let pending;
    if (bad === "router") pending = routedFetch(null, req);
    else if (bad === "request") pending = routedFetch(r, "not a url");
    else if (bad === "signal") pending = routedFetch(r, req, { signal: true });
    else pending = routedFetch(r, req, opts);
    const res = await pending;
    Object.assign(out, { status: res.status, url: res.url, type: res.headers.get("content-type"), inflightAtHeaders: inflight(r) });
    if (abort === "mid-body") {
      const reader = res.body.getReader();
      await reader.read();
      ac.abort(reason);
      await reader.read();
    }
    out.body = await res.text();
  } catch (e) {
    out.error = errorOf(e);
    out.isReason = e === reason;
  }
  out.stats = r.stats();
  out.inflight = inflight(r);
  return out;
}

export default {
  async fetch(request, env) {
    router ??= new Router({
      strategy: "ring",
      nodes: JSON.parse(env.ORIGINS).map((id) => ({ id })),
      health: { consecutiveFailures: 3, baseEjectionMs: 500 },
    });
    const url = new URL(request.url);
    if (url.pathname === "/__stats") return Response.json(router.stats());
    if (url.pathname === "/__probe") return Response.json(await probe(JSON.parse(url.searchParams.get("q"))));
    if (url.pathname === "/__pickN") return Response.json(router.pickN(url.searchParams.get("key"), 4));
    if (url.pathname === "/__markUpAll") {
      for (const { id } of router.nodes()) router.markUp(id);
      return new Response("ok");
    }
    try {
      return await routedFetch(router, request, { timeoutMs: 1000, attempts: 4 });
    } catch (e) {
      return Response.json({ code: e.code, message: e.message, attempts: e.attempts }, { status: 502 });
    }
  },
};
