// A CommonJS consumer: require() must resolve CommonJS types (index.d.cts, web.d.cts). Under "module": "node16"
// a require() of ES-module types is error TS1479, and types that do not resolve are error TS7016 under strict.
import edgeroute = require("edgeroute");
import web = require("edgeroute/web");

const r = new edgeroute.Router({ strategy: "ring", nodes: [{ id: "a" }], vnodes: 40, seed: 1 });
const p: string | undefined = r.pick("k");
const ids: string[] = r.pickN(new Uint8Array([1]), 2);
const v: string = edgeroute.version;
const stats: edgeroute.NodeStats[] = r.stats();
const opts: edgeroute.RouterOptions = { strategy: "maglev", nodes: [{ id: "a" }], tableSize: 251 };
new edgeroute.Router(opts).free();
try {
  r.pick("k");
} catch (e) {
  if (e instanceof edgeroute.EdgerouteError) {
    const code: edgeroute.ErrorCode = e.code;
    void code;
  }
}
async function checkThrough(): Promise<edgeroute.CheckResult[]> {
  const options: edgeroute.CheckHealthOptions = { path: "/healthz", expectStatus: "2xx" };
  const check: edgeroute.NodeCheck | null = r.stats()[0].check;
  void check;
  return edgeroute.checkHealth(r, options);
}
async function fetchThrough(): Promise<Response> {
  return edgeroute.routedFetch(r, "https://example.test/", { attempts: 2 });
}

// "edgeroute/web" from CommonJS: the same module as its import (require(esm)), its init under .default.
async function webInit(bytes: Uint8Array): Promise<string | undefined> {
  await web.default(bytes);
  web.initSync(bytes);
  return new web.Router({ strategy: "ring", nodes: [{ id: "a" }] }).pick("k");
}

const registry = new edgeroute.Registry(async () => null, { name: "pool" });
async function useRegistry(): Promise<edgeroute.Router> {
  await registry.router({ strategy: "rendezvous", compat: "redis", seed: 5 });
  // @ts-expect-error without a strategy the seed is the registry's
  await registry.router({ seed: 5 });
  return registry.router({ strategy: "ring", vnodes: 20 });
}

// @ts-expect-error unknown strategy
new edgeroute.Router({ strategy: "nope", nodes: [{ id: "a" }] });
// @ts-expect-error vnodes belongs to "ring" only
new edgeroute.Router({ strategy: "random", nodes: [{ id: "a" }], vnodes: 10 });
// @ts-expect-error pick may return undefined
const notUndefined: string = r.pick("k");
// @ts-expect-error initSync needs the module or its bytes
web.initSync();
// @ts-expect-error not an error code
const badCode: edgeroute.ErrorCode = "ERR_SOMETHING";
void [p, ids, v, stats, checkThrough, fetchThrough, webInit, useRegistry, notUndefined, badCode];
