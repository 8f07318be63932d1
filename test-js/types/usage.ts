// Compiled with tsc --strict against the installed package: valid usage must type-check, and every line marked
// as an expected error must really be one (tsc fails on an unused expect-error directive).
import { Router, Registry, registryScripts, EdgerouteError, version, routedFetch, type RouterOptions, type NodeStats, type ErrorCode, type TwemproxyHash, type HaproxyHash, type RoutedFetchOptions, type RetryBudgetExhaustedError } from "edgeroute";
import init, { Router as WebRouter } from "edgeroute/web";
// ES-module types have no default export; CommonJS types (index.d.cts) would give one (module.exports), so this
// fails if `import` ever resolves to the CommonJS declarations.
// @ts-expect-error "edgeroute" has no default export
import noDefault from "edgeroute";
void noDefault;

const ring = new Router({ strategy: "ring", nodes: [{ id: "a", weight: 2 }, { id: "b" }], seed: 7, vnodes: 160 });
const picked: string | undefined = ring.pick("key");
const bytes: string | undefined = ring.pick(new Uint8Array([1, 2]));
const list: string[] = ring.pickN("key", 3);
const batch: (string | undefined)[] = ring.pickMany(["a", new Uint8Array([1]), "b"]);
// @ts-expect-error pickMany takes an array of keys
ring.pickMany("key");
const removed: boolean = ring.remove("a");
ring.add({ id: "c" });
ring.setWeight("b", 3);
const diff: { added: number; removed: number; reweighted: number } = ring.setNodes([{ id: "b", weight: 2 }, { id: "d" }]);
// @ts-expect-error setNodes takes node specs, not ids
ring.setNodes(["b"]);
ring.report("b", { ok: true, latencyMs: 12.5 });
const stats: NodeStats[] = ring.stats();
const ewma: number | null = stats[0].ewmaMs;
const effective: number = stats[0].effectiveWeight + stats[0].ejectionsTotal;
const exposition: string = ring.metrics({ prefix: "lb", labels: { pool: "origins" }, format: "openmetrics" });
const otlp = ring.otlpMetrics({ resource: { "service.name": "edge" } });
const firstMetric: string = otlp.resourceMetrics[0].scopeMetrics[0].metrics[0].name;
const counts: string[] | undefined = otlp.resourceMetrics[0].scopeMetrics[0].metrics[0].histogram?.dataPoints[0].bucketCounts;
void [effective, exposition, firstMetric, counts];
// @ts-expect-error metrics() has no "json" format
ring.metrics({ format: "json" });
const v: string = version;
const opts: RouterOptions = { strategy: "least-latency", nodes: [{ id: "x" }], decayMs: 5000 };
new Router(opts).pick();
new Router({ strategy: "round-robin", nodes: [{ id: "x" }] }).pickN(undefined, 2);
// A property set to undefined is absent (the Router reads options as plain data), exactOptionalPropertyTypes or not.
const maybeSeed: number | undefined = undefined;
new Router({ strategy: "ring", nodes: [{ id: "a", weight: undefined }], seed: maybeSeed, health: { windowMs: undefined } }).report("a", { ok: true, latencyMs: undefined });

const bounded = new Router({ strategy: "maglev", nodes: [{ id: "a" }], tableSize: 65537, boundedLoad: 1.5, secret: "00".repeat(16) });
const lease = bounded.acquire("k");
if (lease) {
  const leaseId: string = lease.id;
  const ended: boolean = lease.end({ ok: true, latencyMs: 3 });
  void [leaseId, ended];
}
bounded.begin("a");
bounded.end("a");
new Router({ strategy: "rendezvous", nodes: [{ id: "a" }], boundedLoad: true });
new Router({ strategy: "jump", nodes: [{ id: "a", weight: 3 }], secret: "ff".repeat(16) });

try {
  ring.pick("k");
} catch (e) {
  if (e instanceof EdgerouteError) {
    const code: ErrorCode = e.code;
    void code;
  }
}

async function web() {
  await init();
  return new WebRouter({ strategy: "ring", nodes: [{ id: "a" }] }).pick("k");
}

// @ts-expect-error unknown strategy
new Router({ strategy: "fastest", nodes: [{ id: "a" }] });
// @ts-expect-error vnodes belongs to "ring" only
new Router({ strategy: "random", nodes: [{ id: "a" }], vnodes: 10 });
// @ts-expect-error unknown option
new Router({ strategy: "ring", nodes: [{ id: "a" }], points: 3 });
new Router({ strategy: "ring", compat: "varnish", nodes: [{ id: "b0", weight: 1.5 }], replicas: 5, hash: "url" });
new Router({ strategy: "hash", compat: "varnish", nodes: [{ id: "b0", weight: 0.5 }, { id: "b1" }] });
// @ts-expect-error the hash director has one key hash
new Router({ strategy: "hash", compat: "varnish", nodes: [{ id: "b0" }], hash: "url" });
// @ts-expect-error weight must be a number
new Router({ strategy: "ring", nodes: [{ id: "a", weight: "2" }] });
// @ts-expect-error nodes are required
new Router({ strategy: "ring" });
// @ts-expect-error jump has no bounded-load variant
new Router({ strategy: "jump", nodes: [{ id: "a" }], boundedLoad: true });
// @ts-expect-error tableSize belongs to maglev
new Router({ strategy: "rendezvous", nodes: [{ id: "a" }], tableSize: 7 });
// @ts-expect-error secret is a hex string
new Router({ strategy: "ring", nodes: [{ id: "a" }], secret: 123 });
// @ts-expect-error keys are strings or bytes
ring.pick(42);
// @ts-expect-error pick may return undefined
const notUndefined: string = ring.pick("k");
// @ts-expect-error an outcome needs ok
ring.report("a", { latencyMs: 3 });
// @ts-expect-error not an error code
const badCode: ErrorCode = "ERR_SOMETHING";

void [picked, bytes, list, removed, ewma, v, web, notUndefined, badCode];

// The Redis registry, over any client's command function.
const registry = new Registry(async (cmd: string, ...args: Array<string | Uint8Array>) => [cmd, ...args], { name: "pool", seed: 3 });
async function useRegistry(): Promise<void> {
  const next: number = await registry.add({ id: "a", weight: 2, meta: { url: "https://a.example", zone: "eu" } }, { ifVersion: 0 });
  const chosen: string | undefined = await registry.pick("key");
  const order: string[] = await registry.pickN(new Uint8Array([1]), 2);
  const drawn: string | undefined = await registry.pickRandom(0.5);
  const r: Router = await registry.router({ health: { consecutiveFailures: 3 } });
  const changed: boolean = await registry.refresh(r);
  const snap = await registry.load();
  const left: number | null = snap.down[0].forMs;
  const sha: string = registryScripts.pick.sha1;
  void [next, chosen, order, drawn, changed, left, sha, registry.keys.downPrefix];
  // @ts-expect-error meta has only url and zone
  await registry.add({ id: "b", meta: { region: "x" } });
  // @ts-expect-error the nodes come from the registry
  await registry.router({ nodes: [] });
  // Each strategy's own options (Omit over the options union used to keep only the keys all strategies share).
  const ringRouter: Router = await registry.router({ strategy: "ring", vnodes: 40, seed: 9 });
  await registry.router({ strategy: "maglev", tableSize: 251, boundedLoad: 1.5, secret: "ab".repeat(16) });
  await registry.router({ strategy: "least-latency", decayMs: 2000, seed: 1 });
  await registry.router({ strategy: "ring", compat: "haproxy", hash: "djb2", avalanche: true });
  // Without a strategy the Router mirrors pick.lua: rendezvous, compat "redis", the registry's seed.
  await registry.router({ boundedLoad: true, maxMemoryBytes: 1 << 21, health: false });
  await registry.router({ strategy: undefined, seed: undefined });
  // @ts-expect-error without a strategy the seed is the registry's
  await registry.router({ seed: 3 });
  // @ts-expect-error without a strategy the Router is rendezvous, which has no vnodes
  await registry.router({ vnodes: 40 });
  // @ts-expect-error vnodes belongs to "ring" only
  await registry.router({ strategy: "maglev", vnodes: 40 });
  // @ts-expect-error decayMs belongs to "least-latency" only
  await registry.router({ strategy: "ring", decayMs: 5 });
  void ringRouter;
}
void useRegistry;
new Router({ strategy: "rendezvous", compat: "redis", seed: 1, nodes: [{ id: "a" }] });
// @ts-expect-error compat "redis" is a rendezvous mapping
new Router({ strategy: "ring", compat: "redis", nodes: [{ id: "a" }] });
new Router({ strategy: "ring", compat: "nginx", nodes: [{ id: "127.0.0.1:8080", weight: 2 }, { id: "unix:/run/a.sock" }] });
new Router({ strategy: "hash", compat: "twemproxy", hash: "murmur", nodes: [{ id: "10.0.0.1:11211", name: "cache-a" }] });
new Router({ strategy: "ring", compat: "haproxy", hash: "wt6", avalanche: true, nodes: [{ id: "s1", serverId: 3 }] });
new Router({ strategy: "ring", compat: "ats", nodes: [{ id: "10.0.0.1:80", weight: 0.5, hashString: "cache-a" }] });
new Router({ strategy: "ring", compat: "envoy", minRingSize: 12, maxRingSize: 4096, hashFunction: "murmur2", nodes: [{ id: "10.0.0.1:80" }] });
new Router({ strategy: "maglev", compat: "envoy", tableSize: 65537, nodes: [{ id: "10.0.0.1:80", weight: 2 }] });
// @ts-expect-error Envoy's maglev has no ring sizes
new Router({ strategy: "maglev", compat: "envoy", minRingSize: 12, nodes: [{ id: "10.0.0.1:80" }] });
// @ts-expect-error ATS copies only the ring
new Router({ strategy: "maglev", compat: "ats", nodes: [{ id: "10.0.0.1:80" }] });
new Router({ strategy: "ring", compat: "libketama", nodes: [{ id: "10.0.0.1:11211", weight: 100 }] });
new Router({ strategy: "rendezvous", compat: "squid", nodes: [{ id: "10.0.0.1:3128", weight: 2, name: "cache-a" }] });
new Router({ strategy: "rendezvous", compat: "caddy", nodes: [{ id: "10.0.0.1:8080" }] });
new Router({ strategy: "ring", compat: "varnish", hash: "url", nodes: [{ id: "b0", weight: 1.5 }, { id: "b1" }] });
// @ts-expect-error compat "caddy" fixes the hashes: no seed
new Router({ strategy: "rendezvous", compat: "caddy", seed: 1, nodes: [{ id: "a:1" }] });
// @ts-expect-error compat "squid" is a rendezvous mapping
new Router({ strategy: "ring", compat: "squid", nodes: [{ id: "a:1" }] });
// @ts-expect-error libketama has no modulo mode
new Router({ strategy: "hash", compat: "libketama", nodes: [{ id: "a:1" }] });
// @ts-expect-error "wt6" is HAProxy's, not twemproxy's
new Router({ strategy: "ring", compat: "twemproxy", hash: "wt6", nodes: [{ id: "a:1" }] });
const tw: TwemproxyHash = "fnv1a_64";
const ha: HaproxyHash = "djb2";
void tw;
void ha;

// routedFetch's traffic options (docs/traffic.md).
async function useTraffic(router: Router, request: Request): Promise<Response> {
  const fixed: RoutedFetchOptions = { hedge: { afterMs: 50, maxHedges: 2 }, retryBudget: { percent: 20, minPerSecond: 3 } };
  const learnt: RoutedFetchOptions = { hedge: { percentile: 95, minMs: 5, maxMs: 500 }, retryBudget: {} };
  const sticky: RoutedFetchOptions = { affinity: { cookie: "lb", ttlS: 3600, secret: "a secret of 16+ chars" }, zone: (r) => r.headers.get("cf-ipcountry") ?? undefined };
  // @ts-expect-error a hedge has one delay: afterMs or percentile
  const both: RoutedFetchOptions = { hedge: { afterMs: 50, percentile: 95 } };
  // @ts-expect-error minMs and maxMs bound a learnt delay only
  const bounded: RoutedFetchOptions = { hedge: { afterMs: 50, maxMs: 100 } };
  // @ts-expect-error a zone function returns a name or undefined
  const zoneNumber: RoutedFetchOptions = { zone: () => 3 };
  void [fixed, learnt, both, bounded, zoneNumber];
  try {
    return await routedFetch(router, request, { ...fixed, ...sticky, zone: "eu-west" });
  } catch (e) {
    if (e instanceof EdgerouteError && e.code === "ERR_RETRY_BUDGET_EXHAUSTED") {
      const attempts = (e as RetryBudgetExhaustedError).attempts;
      return new Response(`${attempts.length} attempts`, { status: 503 });
    }
    throw e;
  }
}
void useTraffic;
// Active health checks: one round per call, results per node, and the checks' view in stats().
import { checkHealth, type CheckHealthOptions, type CheckResult, type NodeCheck, type StatusClass } from "edgeroute";
import { checkHealth as webCheckHealth } from "edgeroute/web";
async function checkRound(): Promise<void> {
  const origins = new Router({ strategy: "ring", nodes: [{ id: "https://a.example" }, { id: "https://b.example" }] });
  const options: CheckHealthOptions = { path: "/healthz", timeoutMs: 2000, healthyThreshold: 2, unhealthyThreshold: 3, expectStatus: ["2xx", 301], fetch: (req) => fetch(req) };
  const results: CheckResult[] = await checkHealth(origins, options);
  const moved: "down" | "up" | null = results[0].transition;
  const status: number | null = results[0].status;
  const code: ErrorCode | null = results[0].code;
  const runs: number = results[0].consecutiveOk + results[0].consecutiveFailed;
  const view: NodeCheck | null = origins.stats()[0].check;
  const held: boolean | undefined = view?.heldDown;
  const cls: StatusClass = "5xx";
  await checkHealth(origins);
  await checkHealth(origins, { expectStatus: 204 });
  await webCheckHealth(origins, { expectStatus: cls });
  // @ts-expect-error expectStatus takes statuses and classes like "2xx", not "200"
  await checkHealth(origins, { expectStatus: "200" });
  // @ts-expect-error not an option of checkHealth
  await checkHealth(origins, { intervalMs: 1000 });
  // @ts-expect-error the first argument is a Router
  await checkHealth({}, {});
  void [moved, status, code, runs, held];
}
void checkRound;
