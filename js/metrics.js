// metrics() and otlpMetrics(): the Router's counters and gauges as the Prometheus text format, OpenMetrics or
// OTLP/JSON. The core counts (src/router/stats.rs) and hands everything over as one array of numbers
// (`metrics_raw`, layout below); this module names and prints it, so the formats cannot disagree: both print the
// one list `families()` builds. The build copies this file to metrics.cjs for require(), rewriting its import and
// export lines. docs/monitoring.md lists the metrics.
import { coded } from "./errors.js";

const STATES = ["healthy", "ejected", "probing", "down"];
/** How a routed request ended, in the order of `RequestResult::ALL` (src/router/stats.rs). */
const RESULTS = ["response", "failed", "aborted"];
/**
 * routedFetch records each request in its Router through the method of this name (`record_request`): the index
 * in RESULTS of how it ended, attempts, timeouts, duration. A registered symbol, so a routedFetch from another
 * copy of the package (ESM beside CJS) still finds it; not a public method.
 */
const RECORD_REQUEST = Symbol.for("edgeroute.recordRequest");
/** Gauges whose values are whole numbers (OTLP `asInt`); the other gauges are `asDouble`. */
const WHOLE_GAUGES = new Set(["node_inflight", "node_state", "nodes", "panic"]);
/** Strategies that aim at a share of picks in proportion to weight (the balance gauge); the others aim at speed. */
const UNBALANCED = new Set(["least-latency", "least-outstanding"]);

/**
 * The catalogue: [Prometheus name (a counter's `_total` is added), OpenTelemetry name, unit (UCUM), kind, help].
 * The OpenTelemetry names and units are chosen so that an OpenTelemetry Collector's Prometheus exporter turns
 * them into the Prometheus names (units in braces are dropped; "s" adds `_seconds`, "1" adds `_ratio`).
 */
const CATALOGUE = [
  ["node_picks", "node.picks", "{pick}", "counter", "Times the node was the first choice of pick or pickN."],
  ["node_successes", "node.successes", "{request}", "counter", "Requests to the node reported as successes."],
  ["node_failures", "node.failures", "{request}", "counter", "Requests to the node reported as failures."],
  ["node_ejections", "node.ejections", "{ejection}", "counter", "Times passive health ejected the node."],
  ["node_inflight", "node.inflight", "{request}", "gauge", "Requests to the node begun and not yet ended."],
  ["node_latency_ewma_seconds", "node.latency.ewma", "s", "gauge", "The node's decayed peak-EWMA latency estimate (absent before the first reported latency)."],
  ["node_state", "node.state", "", "gauge", "1 for the node's health state (label state: healthy, ejected, probing, down), 0 for the others."],
  ["node_weight", "node.weight", "", "gauge", "The node's configured weight."],
  ["node_effective_weight", "node.effective_weight", "", "gauge", "The weight picks honour now: the configured weight while the node can be picked (times its slow-start factor while it ramps), 0 while it is ejected, marked down or has its probe out."],
  ["node_latency_seconds", "node.latency", "s", "histogram", "Latencies reported for requests to the node."],
  ["nodes", "nodes", "{node}", "gauge", "Nodes in the pool by health state (label state)."],
  ["panic", "panic", "", "gauge", "1 while too few nodes are healthy and the pool routes to every node not marked down, else 0."],
  ["pick_balance_ratio", "pick.balance", "1", "gauge", "The busiest node's share of the picks over its share of the weight (1 is even); weighted and hashing strategies, once there are picks."],
  ["picks", "picks", "{pick}", "counter", "Picks of the pool, removed nodes' included."],
  ["ejections", "ejections", "{ejection}", "counter", "Ejections in the pool, removed nodes' included."],
  ["requests", "requests", "{request}", "counter", "Requests routed by routedFetch, by how they ended (label result: response, failed, aborted)."],
  ["request_attempts", "request.attempts", "{attempt}", "counter", "Attempts routedFetch sent to origins (one per request, more when it fails over)."],
  ["request_failovers", "request.failovers", "{attempt}", "counter", "Attempts after the first of their request."],
  ["request_timeouts", "request.timeouts", "{attempt}", "counter", "Attempts cut short by timeoutMs or the deadline."],
  ["request_duration_seconds", "request.duration", "s", "histogram", "routedFetch's time from the call to the response headers or the error, failovers included."],
];

/** Labels a caller may not set: the families use them, or the format reserves them. */
const RESERVED = ["node", "state", "result", "le", "quantile"];
const MAX_LABELS = 32;
const MAX_VALUE = 1024;
const MAX_PREFIX = 128;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks `options` (already copied to plain data) for the export `call`, which takes the options `allowed`.
 * Returns { prefix, labels: [[k, v]], format, resource: [[k, v]] }.
 */
function metricsOptions(o, call, allowed) {
  const out = { prefix: "edgeroute", labels: [], format: "prometheus", resource: [] };
  if (o === undefined || o === null) return out;
  if (typeof o !== "object" || Array.isArray(o)) {
    throw coded("ERR_INVALID_OPTIONS", `${call}(options): options must be an object, got ${kind(o)}`);
  }
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw coded("ERR_UNKNOWN_OPTION", `${call}(options): unknown option ${JSON.stringify(k)}; it takes ${allowed.join(", ")}`);
    const v = o[k];
    if (v === undefined || v === null) continue;
    if (k === "prefix") {
      if (typeof v !== "string" || !(v === "" || NAME.test(v)) || v.length > MAX_PREFIX) {
        throw coded("ERR_INVALID_OPTION", `${call}(options): prefix ${describe(v)} is not a metric name prefix; use letters, digits and _ (not first a digit), at most ${MAX_PREFIX} characters, or "" for none`);
      }
      out.prefix = v;
    } else if (k === "format") {
      if (v !== "prometheus" && v !== "openmetrics") {
        throw coded("ERR_INVALID_OPTION", `${call}(options): format must be "prometheus" or "openmetrics", got ${describe(v)}`);
      }
      out.format = v;
    } else {
      out[k] = pairs(v, call, k, k === "labels");
    }
  }
  return out;
}

/** An object of strings: constant labels (names checked as Prometheus label names) or OTLP resource attributes. */
function pairs(o, call, what, labelNames) {
  if (typeof o !== "object" || Array.isArray(o)) {
    throw coded("ERR_INVALID_OPTION", `${call}(options): ${what} must be an object of strings, such as { pool: "origins" }, got ${kind(o)}`);
  }
  const entries = Object.entries(o);
  if (entries.length > MAX_LABELS) throw coded("ERR_INVALID_OPTION", `${call}(options): ${what} has ${entries.length} entries; at most ${MAX_LABELS}`);
  for (const [k, v] of entries) {
    if (labelNames ? !NAME.test(k) || k.startsWith("__") || RESERVED.includes(k) : k === "" || k.length > MAX_VALUE || !k.isWellFormed()) {
      const rule = labelNames ? `use letters, digits and _ (not first a digit, not __ first), and none of ${RESERVED.join(", ")}` : `keys are 1 to ${MAX_VALUE} characters of well-formed text`;
      throw coded("ERR_INVALID_OPTION", `${call}(options): ${JSON.stringify(k)} cannot be a ${labelNames ? "label name" : "resource attribute"}; ${rule}`);
    }
    if (typeof v !== "string") throw coded("ERR_INVALID_OPTION", `${call}(options): ${what}.${k} must be a string, got ${kind(v)}`);
    if (v.length > MAX_VALUE) throw coded("ERR_INVALID_OPTION", `${call}(options): ${what}.${k} is ${v.length} characters; at most ${MAX_VALUE}`);
    if (!v.isWellFormed()) {
      throw coded("ERR_INVALID_OPTION", `${call}(options): ${what}.${k} holds a lone UTF-16 surrogate, which has no UTF-8 form; fix the string`);
    }
  }
  return entries;
}

const kind = (v) => (v === null ? "null" : Array.isArray(v) ? "an array" : typeof v);
const describe = (v) => (typeof v === "string" ? JSON.stringify(v) : kind(v));

/**
 * The families with their series, in catalogue order, from `metrics_raw`'s numbers (src/router/stats.rs
 * `metrics_raw` documents the layout) and the ids in table order. A series is { labels: [[k, v]], value } where
 * value is a number, or { counts, sum, bounds } (seconds) for a histogram. Families without series are left out.
 */
function families(raw, ids, strategy) {
  let at = 0;
  const take = (n) => raw.subarray(at, (at += n));
  const [since, panic, nb] = take(3);
  const boundsMs = take(nb);
  const bounds = Array.from(boundsMs, (b) => b / 1000);
  const hist = (h) => ({ counts: Array.from(h.subarray(0, nb + 1)), sum: h[nb + 1] / 1000, bounds });
  const removed = take(4 + nb + 2);
  const req = take(6 + nb + 2);
  const nodes = ids.map((id) => {
    const f = take(9 + nb + 2);
    return { id, weight: f[0], effective: f[1], picks: f[2], successes: f[3], failures: f[4], ejections: f[5], inflight: f[6], ewmaMs: f[7], state: STATES[f[8]], latency: hist(f.subarray(9)) };
  });
  const perNode = (value) => nodes.filter((n) => value(n) !== undefined).map((n) => ({ labels: [["node", n.id]], value: value(n) }));
  const one = (value) => [{ labels: [], value }];
  const sum = (f) => nodes.reduce((a, n) => a + f(n), 0);
  const series = {
    node_picks: perNode((n) => n.picks),
    node_successes: perNode((n) => n.successes),
    node_failures: perNode((n) => n.failures),
    node_ejections: perNode((n) => n.ejections),
    node_inflight: perNode((n) => n.inflight),
    node_latency_ewma_seconds: perNode((n) => (Number.isNaN(n.ewmaMs) ? undefined : n.ewmaMs / 1000)),
    node_state: nodes.flatMap((n) => STATES.map((s) => ({ labels: [["node", n.id], ["state", s]], value: n.state === s ? 1 : 0 }))),
    node_weight: perNode((n) => n.weight),
    node_effective_weight: perNode((n) => n.effective),
    node_latency_seconds: perNode((n) => n.latency),
    nodes: STATES.map((s) => ({ labels: [["state", s]], value: sum((n) => (n.state === s ? 1 : 0)) })),
    panic: one(panic),
    pick_balance_ratio: UNBALANCED.has(strategy) ? [] : balance(nodes).map((b) => ({ labels: [], value: b })),
    picks: one(removed[0] + sum((n) => n.picks)),
    ejections: one(removed[3] + sum((n) => n.ejections)),
    requests: RESULTS.map((r, i) => ({ labels: [["result", r]], value: req[i] })),
    request_attempts: one(req[3]),
    request_failovers: one(req[4]),
    request_timeouts: one(req[5]),
    request_duration_seconds: one(hist(req.subarray(6))),
  };
  const list = CATALOGUE.map(([name, otel, unit, type, help]) => ({ name, otel, unit, type, help, series: series[name] })).filter((f) => f.series.length > 0);
  return { since, list };
}

/** `max(picks_i / weight_i) / (Σpicks / Σweight)`, as a one-element array once there are picks, else empty. */
function balance(nodes) {
  const picks = nodes.reduce((a, n) => a + n.picks, 0);
  const weight = nodes.reduce((a, n) => a + n.weight, 0);
  if (!(picks > 0 && weight > 0)) return [];
  return [Math.max(...nodes.map((n) => n.picks / n.weight)) / (picks / weight)];
}

/** A float as both text formats read it. */
const num = (x) => (x === Infinity ? "+Inf" : x === -Infinity ? "-Inf" : String(x));
/** A label value with backslash, double quote and newline escaped, as both text formats require. */
const SPECIAL = /[\\"\n]/;
const escape = (v) => (SPECIAL.test(v) ? v.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`)) : v);
const pairText = (pairs) => pairs.map(([k, v]) => `${k}="${escape(v)}"`).join(",");

/**
 * The Prometheus text format 0.0.4, or OpenMetrics 1.0 text: each family's `# HELP` and `# TYPE` (and, in
 * OpenMetrics, `# UNIT` for families named for one) before its samples; counters' samples end in `_total` (in
 * OpenMetrics the family's name does not); histograms give cumulative `_bucket{le}` samples up to `+Inf`, then
 * `_sum` and `_count`; OpenMetrics ends with `# EOF`. Label text is built once per series (the output of a
 * 1,000-node pool is about 1.7 MB).
 */
function renderText(raw, ids, strategy, o) {
  const om = o.format === "openmetrics";
  const constant = pairText(o.labels);
  let out = "";
  for (const f of families(raw, ids, strategy).list) {
    const name = o.prefix === "" ? f.name : `${o.prefix}_${f.name}`;
    const total = f.type === "counter" ? "_total" : "";
    const family = om ? name : name + total;
    out += `# HELP ${family} ${f.help}\n# TYPE ${family} ${f.type}\n`;
    if (om && f.unit === "s") out += `# UNIT ${family} seconds\n`;
    for (const s of f.series) {
      const own = pairText(s.labels);
      const inner = constant && own ? `${constant},${own}` : constant || own;
      const labels = inner ? `{${inner}}` : "";
      if (typeof s.value === "number") {
        out += `${name}${total}${labels} ${num(s.value)}\n`;
        continue;
      }
      const { counts, sum, bounds } = s.value;
      const bucket = `${name}_bucket{${inner ? `${inner},` : ""}le="`;
      let cumulative = 0;
      for (let i = 0; i < counts.length; i++) {
        cumulative += counts[i];
        out += `${bucket}${i < bounds.length ? num(bounds[i]) : "+Inf"}"} ${cumulative}\n`;
      }
      out += `${name}_sum${labels} ${num(sum)}\n${name}_count${labels} ${cumulative}\n`;
    }
  }
  return om ? `${out}# EOF\n` : out;
}

/** Milliseconds since the epoch as nanoseconds, a decimal string (OTLP/JSON writes 64-bit integers so). */
const nanos = (ms) => (BigInt(Math.max(0, Math.trunc(ms))) * 1_000_000n + BigInt(Math.round((ms - Math.trunc(ms)) * 1e6))).toString();
const attributes = (pairs) => pairs.map(([key, v]) => ({ key, value: { stringValue: v } }));

/**
 * An OTLP/JSON ExportMetricsServiceRequest (opentelemetry-proto metrics_service.proto in its JSON mapping):
 * 64-bit integers and times as decimal strings; counters as monotonic cumulative sums (aggregationTemporality
 * 2) since the counters started; histograms with per-bucket counts and bounds in seconds; constant labels as
 * data-point attributes; `resource` as the resource's attributes.
 */
function renderOtlp(raw, ids, strategy, o, now, version) {
  const { since, list } = families(raw, ids, strategy);
  const start = nanos(since);
  const time = nanos(now);
  const metrics = list.map((f) => {
    const dataPoints = f.series.map((s) => {
      const p = { attributes: attributes([...o.labels, ...s.labels]) };
      if (f.type !== "gauge") p.startTimeUnixNano = start;
      p.timeUnixNano = time;
      if (typeof s.value !== "number") {
        const { counts, sum, bounds } = s.value;
        Object.assign(p, { count: String(counts.reduce((a, c) => a + c, 0)), sum, bucketCounts: counts.map(String), explicitBounds: bounds });
      } else if (f.type === "counter" || WHOLE_GAUGES.has(f.name)) {
        p.asInt = String(s.value);
      } else {
        p.asDouble = s.value;
      }
      return p;
    });
    const m = { name: o.prefix === "" ? f.otel : `${o.prefix}.${f.otel}`, description: f.help, unit: f.unit };
    if (f.type === "counter") m.sum = { dataPoints, aggregationTemporality: 2, isMonotonic: true };
    else if (f.type === "gauge") m.gauge = { dataPoints };
    else m.histogram = { dataPoints, aggregationTemporality: 2 };
    return m;
  });
  return {
    resourceMetrics: [{ resource: { attributes: attributes(o.resource) }, scopeMetrics: [{ scope: { name: "edgeroute", version }, metrics }] }],
  };
}

export { metricsOptions, renderText, renderOtlp, CATALOGUE, RECORD_REQUEST, RESULTS };
