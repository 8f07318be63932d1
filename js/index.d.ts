// Types of the edgeroute package. Every entry point ("edgeroute" under node, deno, workerd, browser and
// bundlers, and "edgeroute/web") exports these. tests/surface.rs checks the names here against the Rust core.
//
// The Router reads its inputs (options, nodes, health options, outcomes) as plain data, where a property set to
// `undefined` is absent: their optional properties are typed `| undefined`, for exactOptionalPropertyTypes.

/** The routing strategies. */
export type Strategy =
  | "random"
  | "round-robin"
  | "weighted-round-robin"
  | "least-latency"
  | "least-outstanding"
  | "ring"
  | "rendezvous"
  | "maglev"
  | "jump"
  | "hash";

/** One origin. `id` is what `pick` returns; 1 to 256 bytes of UTF-8, unique within a Router. */
export interface NodeSpec {
  id: string;
  /** Relative weight, a number from 1e-6 to 1e6 (a BigInt is read as its number). Default 1. `null` is not a weight. */
  weight?: number | undefined;
  /**
   * twemproxy's server name (`- host:port:weight name`), hashed instead of the address; or Squid's
   * `cache_peer ... name=` (default: the id's host). Only with compat "twemproxy" or "squid".
   */
  name?: string | undefined;
  /** HAProxy's server id (`server ... id N`), 1 to 2^31-1. Only with compat "haproxy"; default: HAProxy's automatic numbering. */
  serverId?: number | undefined;
  /**
   * ATS's `&hash_string` (`parent="host:port|weight&hash_string"`), hashed instead of the hostname. Only with
   * compat "ats"; none of `,` `;` space, tab or CR.
   */
  hashString?: string | undefined;
  /**
   * The node's zone (locality), 1 to 256 bytes: a pick with `{ zone }` keeps keys in the caller's zone while it
   * is healthy enough and spills a share to other zones as it fails (docs/traffic.md). Not with a compat profile.
   */
  zone?: string | undefined;
  /**
   * Priority level, a whole number from 0 (primary, the default) to 255: traffic stays on the lowest level while
   * 1.4 × its healthy share ≥ 1, then spills to the next (docs/traffic.md). Not with a compat profile.
   */
  priority?: number | undefined;
}

/** A node as the Router holds it. */
export interface NodeInfo {
  id: string;
  weight: number;
  name?: string;
  serverId?: number;
  hashString?: string;
  zone?: string;
  /** Present when not 0. */
  priority?: number;
}

/** The options of `pick`, `pickN`, `acquire` and `pickMany`. */
export interface PickOptions {
  /**
   * The caller's zone: keys stay on this zone's nodes of the chosen priority level while the zone is healthy
   * enough, and a deterministic share spills to the level's other nodes as it fails (docs/traffic.md). A zone no
   * node is in picks from every zone, as no zone does.
   */
  zone?: string | undefined;
}

/** Passive health (outlier ejection). Every field is optional; the defaults are shown. */
export interface HealthOptions {
  /** Eject after this many failures in a row (0 = off). Default 5. */
  consecutiveFailures?: number | undefined;
  /** Eject when this share of outcomes in the window failed (0 = off). Default 0.5. */
  failureRate?: number | undefined;
  /** Outcomes needed in the window before the failure rate counts. Default 20. */
  minRequests?: number | undefined;
  /** The failure-rate window. Default 10000 ms. */
  windowMs?: number | undefined;
  /** First ejection length; it doubles with each ejection. Default 30000 ms. */
  baseEjectionMs?: number | undefined;
  /** Longest ejection. Default 300000 ms. */
  maxEjectionMs?: number | undefined;
  /** At most this share of the pool is ejected at once. Default 0.5. */
  maxEjectedShare?: number | undefined;
  /** Below this share of healthy nodes, route to all of them (panic). Default 0.5. */
  panicThreshold?: number | undefined;
  /** A probe that gets no outcome in this time is given up and another one allowed. Default 10000 ms. */
  probeTimeoutMs?: number | undefined;
}

interface CommonOptions {
  /** At least one node; ids unique. */
  nodes: readonly NodeSpec[];
  /** Passive health: `false` turns ejection off (markDown still works), `true` or an object tunes it. */
  health?: boolean | HealthOptions | undefined;
  /**
   * The most memory this Router's tables may take at their peak, in bytes: a whole number from 1 MiB to 4 GiB.
   * Default 64 MiB (a Workers isolate has 128 MB). A config, `add` or `setWeight` that would need more throws
   * ERR_TOO_LARGE before allocating; docs/reliability.md has the cost per ring point, table slot and bucket.
   */
  maxMemoryBytes?: number | undefined;
  /**
   * A whole number from 0 to 2^53-1 (to 2^32-1 with compat "redis"). The hashing strategies ("ring", "rendezvous",
   * "maglev", "jump", "hash") seed their hashes of keys and nodes with it (default 0): every isolate with the same
   * nodes and seed maps keys identically (with a `secret`, keys are hashed with the secret instead; node hashes
   * still take the seed). The random strategies ("random", "least-latency", "least-outstanding") seed their PRNG
   * with it, making picks reproducible (default: fresh entropy, drawn lazily on the first pick). "round-robin" and
   * "weighted-round-robin" do not read it.
   */
  seed?: number | undefined;
}

interface HashingOptions extends CommonOptions {
  /**
   * 32 hexadecimal digits: a 128-bit key. Keys are then hashed with keyed SipHash-2-4, so nobody without the
   * secret can craft keys that pile onto one node. Every isolate that must agree needs the same secret.
   */
  secret?: string | undefined;
}

interface BoundableOptions extends HashingOptions {
  /**
   * Consistent hashing with bounded loads: `true` for load factor c = 1.25, or c > 1. No node takes more than
   * ceil(c x its weighted share) of the requests in flight (counted by acquire/begin/end).
   */
  boundedLoad?: boolean | number | undefined;
}

export interface RingOptions extends BoundableOptions {
  strategy: "ring";
  /** Ring points per unit of weight, 1 to 10000. Default 160. */
  vnodes?: number | undefined;
}

export interface RendezvousOptions extends BoundableOptions {
  strategy: "rendezvous";
  /**
   * `"redis"`: the 32-bit mapping of the Lua script `lua/pick.lua` (MurmurHash3 keys, the same scores), so this
   * Router picks exactly what `Registry.pick` picks inside Redis. Needs a seed below 2^32 and no secret.
   */
  compat?: "redis" | undefined;
}

export interface MaglevOptions extends BoundableOptions {
  strategy: "maglev";
  /** Lookup table size, a prime above the node count. Default 65537. */
  tableSize?: number | undefined;
}

export interface JumpOptions extends HashingOptions {
  /** Each node owns `weight` buckets, so weights must be whole numbers. */
  strategy: "jump";
}

export interface HashOptions extends HashingOptions {
  /** Modulo hashing (non-consistent): node i owns `weight` slots, so weights must be whole. */
  strategy: "hash";
}

/** Slow start, for the strategies that weigh nodes per request (docs/traffic.md). */
interface SlowStartOptions {
  /**
   * A node added, or back from an ejection or a mark, ramps its weight from `slowStartMinPercent` to full over
   * this many ms (> 0): effective weight = weight × max(min, age / window), as Envoy's slow start. Default: off.
   */
  slowStartMs?: number | undefined;
  /** The share of its weight a ramping node starts at, in percent, > 0 and <= 100. Default 10 (Envoy's `min_weight_percent`). Needs `slowStartMs`. */
  slowStartMinPercent?: number | undefined;
}

export interface LeastLatencyOptions extends CommonOptions, SlowStartOptions {
  strategy: "least-latency";
  /** Time constant of the latency EWMA in ms, > 0. Default 10000. */
  decayMs?: number | undefined;
}

export interface SimpleOptions extends CommonOptions, SlowStartOptions {
  strategy: "random" | "round-robin" | "weighted-round-robin" | "least-outstanding";
}

interface CompatOptions {
  /** At least one node; ids unique. Weights are whole numbers, as in the system. */
  nodes: readonly NodeSpec[];
  health?: boolean | HealthOptions | undefined;
  /**
   * The most memory this Router's tables may take at their peak, in bytes: a whole number from 1 MiB to 4 GiB.
   * Default 64 MiB (a Workers isolate has 128 MB). A config, `add` or `setWeight` that would need more throws
   * ERR_TOO_LARGE before allocating; docs/reliability.md has the cost per ring point, table slot and bucket.
   */
  maxMemoryBytes?: number | undefined;
}

/** twemproxy's `hash:` functions. */
export type TwemproxyHash =
  | "one_at_a_time"
  | "md5"
  | "crc16"
  | "crc32"
  | "crc32a"
  | "fnv1_64"
  | "fnv1a_64"
  | "fnv1_32"
  | "fnv1a_32"
  | "hsieh"
  | "murmur"
  | "jenkins";

/** HAProxy's `hash-type` functions. */
export type HaproxyHash = "sdbm" | "djb2" | "wt6" | "crc32";

/** nginx `hash $key consistent;` ("ring") or `hash $key;` ("hash"); node ids are the `server` addresses. */
export interface NginxOptions extends CompatOptions {
  strategy: "ring" | "hash";
  compat: "nginx";
}

/** twemproxy `distribution: ketama` ("ring") or `modula` ("hash"); ids are `host:port` or a socket path. */
export interface TwemproxyOptions extends CompatOptions {
  strategy: "ring" | "hash";
  compat: "twemproxy";
  /** Default "fnv1a_64", as in twemproxy. */
  hash?: TwemproxyHash | undefined;
}

/** libketama's continuum (npm hashring's "ketama" mode, with libketama's float32 point counts). */
export interface LibketamaOptions extends CompatOptions {
  strategy: "ring";
  compat: "libketama";
}

/** HAProxy `hash-type consistent` ("ring") or `map-based` ("hash"). */
export interface HaproxyOptions extends CompatOptions {
  strategy: "ring" | "hash";
  compat: "haproxy";
  /** Default "sdbm". */
  hash?: HaproxyHash | undefined;
  /** Default: true for "ring" with no hash named (HAProxy's `hash-type consistent`), otherwise false. */
  avalanche?: boolean | undefined;
}

/**
 * Squid 5.7's CARP (`cache_peer <host> parent <port> 0 carp weight=N name=X`): the key is the string Squid
 * hashes, the request URL or the parts `carp-key=` chooses. Weights are whole numbers ≥ 1 adding up to at most
 * 2^31-1; node `name` is the peer's name.
 */
export interface SquidOptions extends CompatOptions {
  strategy: "rendezvous";
  compat: "squid";
}

/** Varnish's shard director keys (`by=` of `shard.backend()`). */
export type VarnishHash = "hash" | "url";

/**
 * Varnish 7.1's shard director (`directors.shard()`): node ids are the backends' idents (default the VCL backend
 * names); weights are numbers ≥ 1.
 */
export interface VarnishOptions extends CompatOptions {
  strategy: "ring";
  compat: "varnish";
  /**
   * Default "hash" (`by=HASH`: the key is what `vcl_hash` hashes, by default the URL then the Host header);
   * "url" for `by=URL` (the key is the URL) or `by=KEY` with `key(string)` (the key is that string).
   */
  hash?: VarnishHash | undefined;
  /** `reconfigure(replicas = N)`: ring points per unit of weight, a whole number from 1 to 16777216. Default 67. */
  replicas?: number | undefined;
}

/**
 * Varnish 7.1's hash director (`directors.hash()`): weighted, not consistent. Nodes are the backends in
 * `add_backend` order (ids are only names here; order and weights decide); the key is the string given to
 * `h.backend(...)`.
 */
export interface VarnishHashOptions extends CompatOptions {
  strategy: "hash";
  compat: "varnish";
}

/**
 * Caddy 2.6's `reverse_proxy` hashing policies (`uri_hash`, `header`, `ip_hash`): node ids are the upstreams'
 * dial addresses as written; the key is what the policy hashes. Caddy has no weights, so nodes take none.
 */
export interface CaddyOptions extends CompatOptions {
  strategy: "rendezvous";
  compat: "caddy";
}

/**
 * Apache Traffic Server 9.2's `parent.config` `round_robin=consistent_hash`: node ids are the parents'
 * `host:port`, hashed as the hostname alone (or `hashString`), 1024 × weight points each. The key is what ATS
 * hashes: `/`, the path up to the first `;`, then `?` and the query when there is one.
 */
export interface AtsOptions extends CompatOptions {
  strategy: "ring";
  compat: "ats";
}

/** Envoy's ring hash functions (`hash_function`). */
export type EnvoyHashFunction = "xxhash" | "murmur2";

/**
 * Envoy's ring hash load balancer: node ids are the hosts' hash keys (the address `ip:port`, or the `hash_key`
 * metadata); weights are whole numbers ≥ 1. The key is the value the hash policy hashes (XXH64).
 */
export interface EnvoyRingOptions extends CompatOptions {
  strategy: "ring";
  compat: "envoy";
  /** `minimum_ring_size`, 1 to 8388608. Default 1024. */
  minRingSize?: number | undefined;
  /** `maximum_ring_size`, 1 to 8388608, at least minRingSize. Default 8388608. */
  maxRingSize?: number | undefined;
  /** `hash_function` of the ring points: Default "xxhash"; "murmur2" for MURMUR_HASH_2. */
  hashFunction?: EnvoyHashFunction | undefined;
}

/** Envoy's Maglev load balancer: ids and keys as for the ring; `tableSize` a prime up to 5000011. */
export interface EnvoyMaglevOptions extends CompatOptions {
  strategy: "maglev";
  compat: "envoy";
  /** `table_size`, a prime above the node count, at most 5000011. Default 65537. */
  tableSize?: number | undefined;
}

/** Options of `new Router(options)`. Unknown options, and options of another strategy, are errors. */
export type RouterOptions =
  | NginxOptions
  | AtsOptions
  | EnvoyRingOptions
  | EnvoyMaglevOptions
  | TwemproxyOptions
  | LibketamaOptions
  | HaproxyOptions
  | SquidOptions
  | CaddyOptions
  | VarnishOptions
  | VarnishHashOptions
  | RingOptions
  | RendezvousOptions
  | MaglevOptions
  | JumpOptions
  | HashOptions
  | LeastLatencyOptions
  | SimpleOptions;

/** A routing key: a string (hashed as its UTF-8 bytes) or raw bytes. */
export type Key = string | Uint8Array;

/** The outcome of one request, for `report`. */
export interface Outcome {
  ok: boolean;
  /** Observed latency in ms, finite, >= 0. */
  latencyMs?: number | undefined;
}

/** A request in flight, from `acquire`. */
export interface Lease {
  /** The node serving the request. */
  readonly id: string;
  /** Ends the request (reporting `outcome` if given). Returns false if it had already ended or its node is gone. */
  end(outcome?: Outcome): boolean;
}

/** Per-node figures from `stats()`. */
export interface NodeStats {
  id: string;
  weight: number;
  /** The weight picks honour now: `weight` (times its slow-start factor while it ramps) while the node can be picked, 0 while ejected, down or with its probe out. */
  effectiveWeight: number;
  /** Times the node was the first choice of `pick` or `pickN`. */
  picks: number;
  successes: number;
  failures: number;
  /** Requests in flight: begun (`begin`, `acquire`) and not yet ended. */
  inflight: number;
  /** Decayed latency estimate in ms, or null before the first latency report. */
  ewmaMs: number | null;
  state: "healthy" | "ejected" | "probing" | "down";
  /** When the current ejection ends (Date.now() ms), or null. */
  ejectedUntil: number | null;
  /** When a timed markDown ends (Date.now() ms), or null (not down, or down until markUp). */
  downUntil: number | null;
  /** Ejections that count towards the backoff; each lasts twice the one before, up to maxEjectionMs. Forgotten after maxEjectionMs of health. */
  ejections: number;
  /** Ejections ever (a counter: never decreases, kept across toJSON/fromJSON). */
  ejectionsTotal: number;
  consecutiveFailures: number;
  /** The last active health check of the node (`checkHealth`), or null when no round has checked it. */
  check: NodeCheck | null;
}

/** A node's last active health check, as `stats()` shows it. */
export interface NodeCheck {
  /** Whether the probe answered with an expected status in time. */
  ok: boolean;
  /** The status it answered with, or null (no answer: network error, timeout). */
  status: number | null;
  /** Why it failed (a network error, `timeout after N ms`, an unexpected status), or null. */
  error: string | null;
  /** From sending the probe to its response headers (or to the failure), in ms. */
  latencyMs: number;
  /** When the probe settled (Date.now() ms). */
  at: number;
  /** Good rounds in a row (0 after a failed one). */
  consecutiveOk: number;
  /** Failed rounds in a row (0 after a good one). */
  consecutiveFailed: number;
  /** Whether the checks hold the node down: they marked it down and will mark it up after healthyThreshold good rounds. */
  heldDown: boolean;
}

/** A node's health in a snapshot; only non-default fields are present. */
export interface NodeHealthSnapshot {
  id: string;
  ejections?: number;
  ejectedUntil?: number;
  downUntil?: number;
  down?: true;
  consecutiveFailures?: number;
}

/** What `toJSON()` returns and `Router.fromJSON` accepts. Contains the secret, if one is set. */
export interface RouterSnapshot {
  format: "edgeroute/1";
  options: RouterOptions;
  health: NodeHealthSnapshot[];
  /** The counters `metrics()` exports, so they stay monotonic across a round trip (absent in older snapshots). */
  counters?: CountersSnapshot;
}

/** A latency histogram in a snapshot: counts per bucket (the bounds of docs/monitoring.md, then +Inf), sum in ms. */
export interface HistogramSnapshot {
  counts: number[];
  sumMs: number;
}

/** A node's counters (or the removed nodes' sum) in a snapshot. */
export interface TotalsSnapshot {
  picks?: number;
  successes?: number;
  failures?: number;
  ejections?: number;
  latency?: HistogramSnapshot;
}

export interface CountersSnapshot {
  /** When the counters started (Date.now() ms). */
  since?: number;
  nodes?: Array<TotalsSnapshot & { id: string }>;
  removed?: TotalsSnapshot;
  requests?: {
    response?: number;
    failed?: number;
    aborted?: number;
    attempts?: number;
    failovers?: number;
    timeouts?: number;
    duration?: HistogramSnapshot;
  };
}

/** Options of `metrics()`. */
export interface MetricsOptions {
  /** Prepended to every metric name with `_` (letters, digits, `_`; `""` for none). Default "edgeroute". */
  prefix?: string | undefined;
  /** Constant labels on every series, such as `{ pool: "origins", colo: "AMS" }`. Not `node`, `state`, `result`, `le`, `quantile` or `__*`. */
  labels?: Record<string, string> | undefined;
  /** "prometheus" (text format 0.0.4, the default) or "openmetrics" (OpenMetrics 1.0 text, ending in `# EOF`). */
  format?: "prometheus" | "openmetrics" | undefined;
}

/** Options of `otlpMetrics()`. */
export interface OtlpMetricsOptions {
  /** Prepended to every metric name with `.`. Default "edgeroute". */
  prefix?: string | undefined;
  /** Attributes on every data point (as `labels` are in `metrics()`). */
  labels?: Record<string, string> | undefined;
  /** The resource's attributes, such as `{ "service.name": "edge-worker" }`. */
  resource?: Record<string, string> | undefined;
}

/** An OTLP attribute (OTLP/JSON encoding). */
export interface OtlpAttribute {
  key: string;
  value: { stringValue: string };
}

/** A data point: integers (and times in ns) are decimal strings, as the OTLP/JSON encoding has them. */
export interface OtlpNumberDataPoint {
  attributes: OtlpAttribute[];
  startTimeUnixNano?: string;
  timeUnixNano: string;
  asInt?: string;
  asDouble?: number;
}

export interface OtlpHistogramDataPoint {
  attributes: OtlpAttribute[];
  startTimeUnixNano: string;
  timeUnixNano: string;
  count: string;
  /** Seconds. */
  sum: number;
  /** Per bucket, not cumulative: one more than `explicitBounds`. */
  bucketCounts: string[];
  /** Upper bounds in seconds. */
  explicitBounds: number[];
}

export interface OtlpMetric {
  name: string;
  description: string;
  unit: string;
  /** Counters: cumulative (aggregationTemporality 2) and monotonic. */
  sum?: { dataPoints: OtlpNumberDataPoint[]; aggregationTemporality: 2; isMonotonic: true };
  gauge?: { dataPoints: OtlpNumberDataPoint[] };
  histogram?: { dataPoints: OtlpHistogramDataPoint[]; aggregationTemporality: 2 };
}

/** The body of an OTLP/HTTP metrics export (POST it as JSON to a collector's /v1/metrics). */
export interface OtlpMetricsRequest {
  resourceMetrics: Array<{
    resource: { attributes: OtlpAttribute[] };
    scopeMetrics: Array<{ scope: { name: "edgeroute"; version: string }; metrics: OtlpMetric[] }>;
  }>;
}

/** The stable error codes. */
export type ErrorCode =
  | "ERR_INVALID_OPTIONS"
  | "ERR_UNKNOWN_OPTION"
  | "ERR_UNKNOWN_FIELD"
  | "ERR_INVALID_OPTION"
  | "ERR_UNKNOWN_STRATEGY"
  | "ERR_NO_NODES"
  | "ERR_INVALID_ID"
  | "ERR_DUPLICATE_ID"
  | "ERR_INVALID_WEIGHT"
  | "ERR_UNKNOWN_NODE"
  | "ERR_INVALID_KEY"
  | "ERR_INVALID_COUNT"
  | "ERR_INVALID_REPORT"
  | "ERR_TOO_LARGE"
  | "ERR_FREED"
  | "ERR_NOT_INITIALIZED"
  | "ERR_INTERNAL"
  | "ERR_REENTRANT"
  | "ERR_ALL_ATTEMPTS_FAILED"
  | "ERR_INVALID_ARGUMENT"
  | "ERR_INVALID_ORIGIN"
  | "ERR_INVALID_RESPONSE"
  | "ERR_BODY_INTERRUPTED"
  | "ERR_DEADLINE_EXCEEDED"
  | "ERR_RETRY_BUDGET_EXHAUSTED"
  | "ERR_CHECK_IN_PROGRESS"
  | "ERR_REGISTRY_MISSING"
  | "ERR_REGISTRY_WRONG_TYPE"
  | "ERR_REGISTRY_BAD_WEIGHT"
  | "ERR_REGISTRY_BAD_ID"
  | "ERR_REGISTRY_BAD_META"
  | "ERR_REGISTRY_BAD_VERSION"
  | "ERR_REGISTRY_BAD_REPLY"
  | "ERR_REGISTRY_CONFLICT"
  | "ERR_REGISTRY_REDIS";

/** Every error edgeroute throws. */
export declare class EdgerouteError extends Error {
  readonly name: "EdgerouteError";
  readonly code: ErrorCode;
}

export declare class Router {
  constructor(options: RouterOptions);
  /** The strategy given at construction. */
  readonly strategy: Strategy;
  /**
   * The node for this key, or undefined when the pool is empty. The hashing strategies (ring, rendezvous,
   * maglev, jump, hash) need a key; the others ignore it and may be called with none. Changes no in-flight count.
   */
  pick(key?: Key, options?: PickOptions): string | undefined;
  /** Like `pick`, and counts the request as in flight on that node until `lease.end()`. */
  acquire(key?: Key, options?: PickOptions): Lease | undefined;
  /** Counts one more request in flight to `id` (e.g. when failing over to pickN's next node). */
  begin(id: string): void;
  /** Ends one request in flight to `id`, reporting `outcome` if given. */
  end(id: string, outcome?: Outcome): void;
  /**
   * Up to n distinct node ids in preference (failover) order; the first is what `pick` would return. With a
   * `zone`: the part of the pool `pick` chooses from first, then the rest of its priority level, then the other
   * levels from the lowest (docs/traffic.md).
   */
  pickN(key: Key | undefined, n: number, options?: PickOptions): string[];
  /**
   * `pick` of each key in order, in one call into wasm: the same ids (and pick counts) as
   * `keys.map((k) => router.pick(k))`, in less time per key (all-ASCII string keys are encoded together).
   * A bad key throws ERR_INVALID_KEY naming its index, before any key is picked.
   */
  pickMany(keys: readonly Key[], options?: PickOptions): (string | undefined)[];
  /** Adds a node. Throws ERR_DUPLICATE_ID, ERR_INVALID_ID, ERR_INVALID_WEIGHT, ERR_UNKNOWN_FIELD. */
  add(node: NodeSpec): void;
  /** Removes a node; false when no node has this id. */
  remove(id: string): boolean;
  /** Changes a node's weight. Throws ERR_UNKNOWN_NODE or ERR_INVALID_WEIGHT. */
  setWeight(id: string, weight: number): void;
  /**
   * Makes the node set equal to `nodes` in one call: the same result as removing the nodes not listed, setting
   * the listed weights and adding the new nodes at the end in the given order, but checked whole first (a bad
   * spec, a repeated id or the memory limit throws and changes nothing), and a strategy that rebuilds its table
   * on every change (maglev, hash, the compat rings) rebuilds once. Listed nodes keep their health and counters;
   * one whose other fields (`name`, `serverId`, `hashString`, `zone`, `priority`) changed leaves and joins again. Resolves the counts.
   */
  setNodes(nodes: readonly NodeSpec[]): { added: number; removed: number; reweighted: number };
  /** Records a request's outcome (feeds least-latency's EWMA); in-flight counts are not touched. */
  report(id: string, outcome: Outcome): void;
  /** The pool, in insertion order. */
  nodes(): NodeInfo[];
  /**
   * Inspection, for visualisation and debugging: the ring's points in ascending order as positions in [0, 1)
   * (hash / 2^64) with their owners' ids; null for strategies without a ring.
   */
  ringPoints(): { positions: Float64Array; owners: string[] } | null;
  /** Inspection: the key's hash as a position in [0, 1). On a ring the key goes to the first point at or after it. */
  keyPosition(key: Key): number;
  stats(): NodeStats[];
  /**
   * The Router's state in the Prometheus text format (0.0.4), or OpenMetrics 1.0 with `format: "openmetrics"`:
   * per-node counters, gauges and a latency histogram, the pool's state and routedFetch's requests
   * (docs/monitoring.md lists them). Serve it as `text/plain; version=0.0.4; charset=utf-8`, or OpenMetrics as
   * `application/openmetrics-text; version=1.0.0; charset=utf-8`.
   */
  metrics(options?: MetricsOptions): string;
  /** The same figures as an OTLP/JSON ExportMetricsServiceRequest. */
  otlpMetrics(options?: OtlpMetricsOptions): OtlpMetricsRequest;
  /** Takes a node out of rotation for `forMs` milliseconds, or until `markUp`. */
  markDown(id: string, forMs?: number): void;
  /** Puts a node back at once, clearing a mark or an ejection. */
  markUp(id: string): void;
  /** Options, nodes and health as JSON data (see RouterSnapshot). */
  toJSON(): RouterSnapshot;
  /** Bytes of WebAssembly memory the module holds (linear memory grows, never shrinks): watch it for leaks. */
  static wasmMemoryBytes(): number;
  /** Rebuilds a Router from `toJSON()`'s value or its JSON text. */
  static fromJSON(snapshot: RouterSnapshot | string): Router;
  /**
   * Frees the wasm memory now; later calls throw ERR_FREED. (Where `Symbol.dispose` exists, `using r = new
   * Router(...)` calls it too.)
   */
  free(): void;
}

/** Options of `routedFetch`. Unknown options are errors. */
export interface RoutedFetchOptions {
  /** The routing key of a request. Default: the URL path. */
  key?: (request: Request) => Key;
  /** Take the key from this request header (the URL path when absent). */
  keyHeader?: string;
  /** Origins to try, in `pickN` order. Default 3 (at most the pool size). */
  attempts?: number;
  /** Per-attempt timeout, from sending until the response headers. Default 10000 ms. */
  timeoutMs?: number;
  /**
   * The whole call: buffering the request body, every attempt, and reading the returned response's body (which
   * then errors with ERR_DEADLINE_EXCEEDED). Raise it for long downloads and streams. Default 30000 ms.
   */
  deadlineMs?: number;
  /** Statuses that count as failures and fail over. Default [502, 503, 504]. */
  retryOn?: number[];
  /** Methods that may be retried. Default the idempotent ones: GET, HEAD, OPTIONS, PUT, DELETE, TRACE. */
  retryMethods?: string[];
  /** A request body is buffered for retries up to this size; a larger one is sent once. Default 1 MiB. */
  maxBufferBytes?: number;
  /** The fetch to use (default globalThis.fetch). Anything it resolves to that is not a Response fails that attempt. */
  fetch?: (request: Request) => Promise<Response>;
  /** Builds the upstream URL; it must be an absolute http(s) URL. Default: the request's path and query on the origin. */
  rewrite?: (url: URL, origin: string) => URL | string;
  /**
   * Cancels the call at any stage: already aborted, nothing is sent; later, routedFetch rejects (or the returned
   * body errors) with `signal.reason`, and the upstream request is aborted. No failover after an abort. Default:
   * the Request's own signal, as with fetch.
   */
  signal?: AbortSignal | null;
  /**
   * Hedged requests: when no attempt has answered with headers `afterMs` (or a learnt delay) after the latest send,
   * send the same request to the next origin of the order too; the first good response wins and the others are
   * aborted (no outcome recorded for them: losing a race is no failure). Only for `retryMethods` whose body was
   * buffered. Hedges count against `attempts` and draw on `retryBudget`. See docs/traffic.md.
   */
  hedge?: HedgeOptions | undefined;
  /**
   * A retry budget shared by every call on this Router: retries and hedges may be at most `percent` % of requests
   * plus `minPerSecond` per second, over a sliding 10 s window. A retry it refuses fails the call at once with
   * ERR_RETRY_BUDGET_EXHAUSTED. The first call that gives one sets the Router's budget; a later call giving other
   * settings is refused (ERR_INVALID_OPTION). Calls without this option neither deposit nor withdraw.
   */
  retryBudget?: RetryBudgetOptions | undefined;
  /**
   * Session affinity: the response sets a cookie naming the origin that served; later requests carrying it go to
   * that origin first while it is a pool member in state healthy or probing, then fail over in `pickN` order. Needs
   * a Router with `stats()`. In browsers the platform drops the Set-Cookie header.
   */
  affinity?: AffinityOptions | undefined;
  /**
   * The request's zone, passed to `router.pickN(key, n, { zone })`: a zone name (1 to 256 UTF-8 bytes), or a
   * function of the request returning one or undefined (undefined: `pickN(key, n)` as without the option).
   */
  zone?: string | ((request: Request) => string | undefined) | undefined;
}

/** `hedge`: a fixed delay, or one learnt from this Router's recent attempt latencies. */
export type HedgeOptions =
  | {
      /** Send a hedge after this many ms without response headers (0: at once). */
      afterMs: number;
      percentile?: undefined;
      minMs?: undefined;
      maxMs?: undefined;
      /** Hedges per call, 1 to 8. Default 1. */
      maxHedges?: number | undefined;
    }
  | {
      /**
       * Hedge after this percentile (0 < p <= 99.9) of the time to headers of the Router's last 512 attempts, made
       * by any routedFetch call on it, clamped to [minMs, maxMs]; maxMs until 20 attempts were seen.
       */
      percentile: number;
      afterMs?: undefined;
      /** Floor of the learnt delay. Default 5 ms. */
      minMs?: number | undefined;
      /** Ceiling of the learnt delay, and the delay before enough samples. Default 1000 ms. */
      maxMs?: number | undefined;
      /** Hedges per call, 1 to 8. Default 1. */
      maxHedges?: number | undefined;
    };

/** `retryBudget` (Finagle's RetryBudget with Envoy's defaults). */
export interface RetryBudgetOptions {
  /** Retries allowed as a share of requests, 0 to 1000 %. Default 20. */
  percent?: number | undefined;
  /** Retries allowed per second whatever the traffic (a reserve of 10 × this per 10 s window). Default 3. */
  minPerSecond?: number | undefined;
}

/** `affinity` (Cloudflare Load Balancing's cookie session affinity). */
export interface AffinityOptions {
  /** The cookie's name, an RFC 6265 token. Default "edgeroute_affinity". */
  cookie?: string | undefined;
  /** The cookie's Max-Age in seconds, 1 to 400 days. Default 82800 (23 hours). */
  ttlS?: number | undefined;
  /**
   * With a secret (16 to 1024 characters) the cookie carries an HMAC-SHA-256 of its name and origin (WebCrypto),
   * and a cookie whose MAC does not verify is ignored: clients cannot choose their origin. Without one, a client
   * can name any current pool member (never anything else).
   */
  secret?: string | undefined;
}

/** One failed attempt of `routedFetch`. */
export interface Attempt {
  origin: string;
  /** The retryable status it answered with, if it answered. */
  status?: number;
  /** Why the attempt failed, if it did not answer (network error, timeout, deadline, a refused origin). */
  error?: string;
  /** ERR_INVALID_ORIGIN (the node id or rewrite() gave no http(s) URL; nothing sent) or ERR_INVALID_RESPONSE. */
  code?: ErrorCode;
  latencyMs?: number;
}

/** Thrown by `routedFetch` when a retry was due and the Router's retry budget was spent (code ERR_RETRY_BUDGET_EXHAUSTED). */
export interface RetryBudgetExhaustedError extends EdgerouteError {
  readonly code: "ERR_RETRY_BUDGET_EXHAUSTED";
  readonly attempts: Attempt[];
}

/** Thrown by `routedFetch` when no origin answered well (code ERR_ALL_ATTEMPTS_FAILED). */
export interface AllAttemptsFailedError extends EdgerouteError {
  readonly code: "ERR_ALL_ATTEMPTS_FAILED";
  readonly attempts: Attempt[];
}

/**
 * Sends the request to the origin the router picks (node ids are origin URLs), recording each outcome and
 * latency, failing over along `pickN` order on network errors, timeouts and retryable statuses. Resolves to the
 * first good response; rejects with an AllAttemptsFailedError listing every attempt. The response's body streams
 * from the origin and the attempt ends with it: its outcome is recorded and its in-flight count released when the
 * body completes, breaks off (the reader gets ERR_BODY_INTERRUPTED), is cancelled, or at the deadline.
 */
export declare function routedFetch(router: Router, request: Request | string | URL, options?: RoutedFetchOptions): Promise<Response>;

/** An HTTP status class, for `expectStatus`. */
export type StatusClass = "1xx" | "2xx" | "3xx" | "4xx" | "5xx";

/**
 * Options of `checkHealth`. Unknown options are errors (ERR_UNKNOWN_OPTION), bad values too (ERR_INVALID_OPTION); an
 * option set to undefined is absent, null is refused.
 */
export interface CheckHealthOptions {
  /** Appended to each node id (an origin URL) to make its probe URL: node "https://a.example" → "https://a.example/healthz". Starts with "/". Default "/". */
  path?: string | undefined;
  /** Bounds each probe, from sending it to its response headers; a probe still out then fails, whatever fetch does with the abort. Default 5000 ms. */
  timeoutMs?: number | undefined;
  /** Good rounds in a row that bring back a node the checks marked down (HAProxy's `rise`). Whole, >= 1. Default 2. */
  healthyThreshold?: number | undefined;
  /** Failed rounds in a row that mark a node down (HAProxy's `fall`). Whole, >= 1. Default 3. */
  unhealthyThreshold?: number | undefined;
  /**
   * The statuses that count as healthy: a status (200), a class ("2xx"), or an array of them. Redirects are not
   * followed. Default ["2xx", "3xx"], as HAProxy's `option httpchk`.
   */
  expectStatus?: number | StatusClass | ReadonlyArray<number | StatusClass> | undefined;
  /** The fetch to use (default globalThis.fetch). Called with a GET Request; anything it resolves to that is not a Response is not counted. */
  fetch?: ((request: Request) => Promise<Response>) | undefined;
}

/** One node's result of a `checkHealth` round. */
export interface CheckResult {
  /** The node id. */
  id: string;
  /** Whether the probe answered with an expected status within timeoutMs. */
  ok: boolean;
  /** The status it answered with, or null when it did not answer. */
  status: number | null;
  /** Why it failed, or null. */
  error: string | null;
  /**
   * Set when the probe told nothing about the origin, so the counts did not change: ERR_INVALID_ORIGIN (the node
   * id and path make no http(s) URL; nothing sent) or ERR_INVALID_RESPONSE (the fetch option gave no Response).
   */
  code: ErrorCode | null;
  /** From sending the probe to its response headers (or to the failure), in ms. */
  latencyMs: number;
  /** Good rounds in a row, this one included. */
  consecutiveOk: number;
  /** Failed rounds in a row, this one included. */
  consecutiveFailed: number;
  /** "down" when this round marked the node down (markDown), "up" when it marked it back up (markUp), else null. */
  transition: "down" | "up" | null;
  /** Whether the checks hold the node down after this round. */
  heldDown: boolean;
}

/**
 * One round of active health checks: a GET of every node's probe URL (node id + `path`), all at once, each bounded
 * by `timeoutMs`. A node that failed `unhealthyThreshold` rounds in a row is marked down (`markDown`); one the
 * checks marked down comes back (`markUp`) after `healthyThreshold` good rounds in a row. The counts live with
 * the Router between rounds, and `stats()` shows them (`check`). The checks never mark up a node an operator
 * marked down; an operator's `markUp` of a node they hold wins, and its failure run starts again. Rounds of one
 * Router do not overlap: a call while one runs rejects with ERR_CHECK_IN_PROGRESS. Resolves to a result per node
 * still in the Router when the round ends; never rejects for an origin's failure (bad options, a non-Router, a
 * freed Router reject). Call it from a Worker's `scheduled` handler, a Durable Object alarm, or a timer.
 */
export declare function checkHealth(router: Router, options?: CheckHealthOptions): Promise<CheckResult[]>;

/**
 * Sends one Redis command and resolves to its reply: `(...a) => ioredis.call(...a)`, `(...a) => nodeRedis.sendCommand(a)`.
 * Every argument is a string, except a byte key: a Buffer copy where Buffer exists, else what `options.bytes` returns.
 */
export type RedisCommand = (command: string, ...args: Array<string | Uint8Array>) => Promise<unknown>;

/** Node metadata kept in the registry's hash. Other fields are errors. */
export interface RegistryMeta {
  url?: string;
  zone?: string;
}

export interface RegistryNode {
  id: string;
  /** Default 1. */
  weight?: number;
  meta?: RegistryMeta;
}

export interface RegistrySnapshot {
  version: number;
  /** The random id the last write left ("" before the first): with the version, it names this state. */
  stamp: string;
  nodes: Array<{ id: string; weight: number; meta?: RegistryMeta }>;
  /** Nodes marked down; `forMs` is the time left, null when marked until markUp. */
  down: Array<{ id: string; forMs: number | null }>;
}

export interface RegistryOptions {
  /** The registry's name; it is the Redis Cluster hash tag, so it must not contain { or }. */
  name: string;
  /** Key prefix. Default "edgeroute": keys are `edgeroute:{name}:nodes`, `:meta`, `:version`, `:stamp`, `:down:<id>`. */
  prefix?: string;
  /** Seed of keyed selection, 0 to 2^32-1 (default 0), shared by `pick` in Redis and `router()`. */
  seed?: number;
  /**
   * Turns a byte key (a Uint8Array copy) into what your client sends as those bytes. Default: a Buffer where
   * Buffer exists; where it does not (a plain Worker, a page), byte keys need this (`(key) => key` for a client
   * that writes a Uint8Array as its bytes).
   */
  bytes?: (key: Uint8Array) => string | Uint8Array;
}

/** Options of every registry write. */
export interface WriteOptions {
  /** Refuse the change (ERR_REGISTRY_CONFLICT) unless the registry is still at this version. */
  ifVersion?: number;
  /**
   * Refuse the change (ERR_REGISTRY_CONFLICT) unless the registry still has this stamp (from the same load()):
   * unlike the version alone, it also catches a registry re-created since (lost data, a failover).
   */
  ifStamp?: string;
}

/** A registry's revision: equal revisions mean the same registry state, even across lost data. */
export interface RegistryRevision {
  version: number;
  stamp: string;
}

/** `Omit` over each member of a union: `Omit<A | B, K>` keeps only the keys A and B share (no `vnodes`, no `seed`). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** Every key of any member of a union. */
type KeysOfUnion<T> = T extends unknown ? keyof T : never;
type MirrorKeys = "strategy" | "health" | "maxMemoryBytes" | "boundedLoad";

/**
 * Options of `Registry.router()`. With a `strategy`: any Router options but `nodes`, which come from the registry.
 * Without one, the Router mirrors pick.lua (rendezvous, compat "redis", the registry's seed) and takes only
 * `health`, `maxMemoryBytes` and `boundedLoad`.
 */
export type RegistryRouterOptions =
  | DistributiveOmit<RouterOptions, "nodes">
  | ({ strategy?: undefined } & Pick<RendezvousOptions, Exclude<MirrorKeys, "strategy">> & {
      [K in Exclude<KeysOfUnion<RouterOptions>, MirrorKeys | "nodes">]?: undefined;
    });

/** A pool of origins kept in Redis, selected from inside Redis by Lua scripts that agree with the Router. */
export declare class Registry {
  constructor(command: RedisCommand, options: RegistryOptions);
  readonly keys: { readonly nodes: string; readonly meta: string; readonly version: string; readonly stamp: string; readonly downPrefix: string };
  readonly seed: number;
  /** The version counter (one GET). It can repeat after Redis loses data: poll `revision()` to see every change. */
  version(): Promise<number>;
  /** Version and stamp in one MGET: what `refresh` compares. */
  revision(): Promise<RegistryRevision>;
  load(): Promise<RegistrySnapshot>;
  /** Each write is atomic and resolves to the new version. */
  add(node: RegistryNode, options?: WriteOptions): Promise<number>;
  remove(id: string, options?: WriteOptions): Promise<number>;
  setWeight(id: string, weight: number, options?: WriteOptions): Promise<number>;
  markDown(id: string, forMs?: number, options?: WriteOptions): Promise<number>;
  markUp(id: string, options?: WriteOptions): Promise<number>;
  /** Keyed selection inside Redis: the same node as `router()`'s Router. */
  pick(key: Key): Promise<string | undefined>;
  pickN(key: Key, n: number): Promise<string[]>;
  /** Weighted random selection inside Redis; `r` in [0, 1) defaults to crypto.getRandomValues. */
  pickRandom(r?: number): Promise<string | undefined>;
  /** A Router over the registry (rendezvous + compat "redis" + this seed unless `options.strategy` is given). */
  router(options?: RegistryRouterOptions): Promise<Router>;
  /** Applies registry changes to a Router from `router()`; one MGET when nothing changed. */
  refresh(router: Router): Promise<boolean>;
}

export interface RegistryScript {
  readonly source: string;
  readonly sha1: string;
}

/** The Lua scripts, also shipped as files in `edgeroute/lua/*.lua`. */
export declare const registryScripts: {
  readonly pick: RegistryScript;
  readonly random: RegistryScript;
  readonly read: RegistryScript;
  readonly write: RegistryScript;
};

/** The package version. */
export declare const version: string;
