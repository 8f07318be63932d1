// A Worker that proxies every request with routedFetch (and exposes its router's view for the test).
import { Router, routedFetch } from "edgeroute";

let router;

export default {
  async fetch(request, env) {
    router ??= new Router({
      strategy: "ring",
      nodes: JSON.parse(env.ORIGINS).map((id) => ({ id })),
      health: { consecutiveFailures: 3, baseEjectionMs: 500 },
    });
    const url = new URL(request.url);
    if (url.pathname === "/__stats") return Response.json(router.stats());
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
