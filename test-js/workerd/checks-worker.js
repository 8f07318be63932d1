// A Worker that runs active health checks (checkHealth) on its Router: from its `scheduled` handler, as a
// deployment would (a cron trigger), with the options last posted to /__pool/options, and from its fetch
// handler; it exposes the Router's view for test-js/workerd/checks.test.mjs. /__local runs the shared scenarios
// that need no origin inside workerd.
import { Router, checkHealth } from "edgeroute";
import { LOCAL_SCENARIOS } from "../shared/active-checks.js";

let router;
let options = {};
let lastScheduled = null;

const errorOf = (e) => ({ error: { name: e?.name, code: e?.code, message: e?.message } });
const round = async (opts) => {
  try {
    return await checkHealth(router, opts);
  } catch (e) {
    return errorOf(e);
  }
};

export default {
  async scheduled() {
    lastScheduled = await round(options);
  },
  async fetch(request) {
    const url = new URL(request.url);
    const id = url.searchParams.get("id");
    const body = request.method === "POST" ? await request.json() : null;
    switch (url.pathname) {
      case "/__local": {
        const out = {};
        for (const [name, run] of Object.entries(LOCAL_SCENARIOS)) out[name] = await run({ Router, checkHealth });
        return Response.json(out);
      }
      case "/__pool/new":
        router = new Router({ strategy: "ring", nodes: body.map((x) => ({ id: x })), health: false });
        lastScheduled = null;
        return Response.json(true);
      case "/__pool/options":
        options = body;
        return Response.json(true);
      case "/__pool/lastScheduled":
        return Response.json(lastScheduled);
      case "/__pool/round":
        return Response.json(await round(body));
      case "/__pool/stats":
        return Response.json(router.stats());
      case "/__pool/picks":
        return Response.json(router.pickMany(body));
      case "/__pool/markDown":
        return Response.json(router.markDown(id, url.searchParams.has("forMs") ? Number(url.searchParams.get("forMs")) : undefined) ?? true);
      case "/__pool/markUp":
        return Response.json(router.markUp(id) ?? true);
      case "/__pool/remove":
        return Response.json(router.remove(id));
      case "/__pool/add":
        return Response.json(router.add({ id }) ?? true);
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
