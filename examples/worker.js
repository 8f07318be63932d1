// A Cloudflare Worker that sends each request to the origin owning its URL path on a consistent-hash ring.
// Configure the origins as a JSON array in the ORIGINS variable, e.g. ["https://a.example","https://b.example"].
import { Router } from "edgeroute";

let router; // built once per isolate, on the first request (env is only available there)

export default {
  async fetch(request, env) {
    router ??= new Router({ strategy: "ring", nodes: JSON.parse(env.ORIGINS).map((id) => ({ id })) });
    const url = new URL(request.url);
    const origin = router.pick(url.pathname);
    if (origin === undefined) return new Response("no origin configured", { status: 503 });
    const upstream = await fetch(new Request(new URL(url.pathname + url.search, origin), request));
    const response = new Response(upstream.body, upstream);
    response.headers.set("x-edgeroute-origin", origin);
    return response;
  },
};
