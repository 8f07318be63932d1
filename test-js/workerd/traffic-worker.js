// A Worker that runs one traffic scenario of test-js/shared/traffic-fetch.js or traffic-router.js per request, inside
// workerd (env.NAMES names the origins of env.ORIGINS). The origins live in the test's Node process: the Worker switches their modes and reads their log through the test's
// control server (env.CONTROL).
import { Router, routedFetch } from "edgeroute";
import { TRAFFIC_SCENARIOS } from "../shared/traffic-fetch.js";
import { ROUTER_SCENARIOS } from "../shared/traffic-router.js";

export default {
  async fetch(request, env) {
    const urls = JSON.parse(env.ORIGINS);
    const names = JSON.parse(env.NAMES);
    const origins = {
      urls,
      byUrl: Object.fromEntries(urls.map((u, i) => [u, names[i]])),
      urlOf: Object.fromEntries(names.map((n, i) => [n, urls[i]])),
      set: async (name, mode, delayMs = 0) => {
        await (await fetch(`${env.CONTROL}/set?${new URLSearchParams({ name, mode, delayMs: String(delayMs) })}`)).text();
      },
      view: async () => (await fetch(`${env.CONTROL}/view`)).json(),
    };
    const name = new URL(request.url).searchParams.get("scenario");
    const run = { ...TRAFFIC_SCENARIOS, ...ROUTER_SCENARIOS }[name];
    if (!run) return new Response(`no scenario ${name}`, { status: 404 });
    try {
      return Response.json(await run({ Router, routedFetch, origins }));
    } catch (e) {
      return Response.json({ failures: [`threw: ${e?.stack ?? e}`] });
    }
  },
};
