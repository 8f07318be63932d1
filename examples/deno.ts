// A Deno reverse proxy: each URL path goes to the origin that owns it on a consistent-hash ring, and on a
// network error to the next one in the ring's preference order.
// Run: ORIGINS='["http://127.0.0.1:9001","http://127.0.0.1:9002"]' deno run --allow-net --allow-env examples/deno.ts
import { Router } from "edgeroute";

const origins: string[] = JSON.parse(Deno.env.get("ORIGINS") ?? "[]");
const router = new Router({ strategy: "ring", nodes: origins.map((id) => ({ id })) });
const port = Number(Deno.env.get("PORT") ?? "8000");

Deno.serve({ hostname: "127.0.0.1", port }, async (request) => {
  const url = new URL(request.url);
  for (const origin of router.pickN(url.pathname, 2)) {
    try {
      const upstream = await fetch(new URL(url.pathname + url.search, origin), { method: request.method });
      const response = new Response(upstream.body, upstream);
      response.headers.set("x-edgeroute-origin", origin);
      return response;
    } catch {
      // try the next origin in preference order
    }
  }
  return new Response("no origin answered", { status: 502 });
});
