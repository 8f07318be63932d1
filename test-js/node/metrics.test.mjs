// metrics() and otlpMetrics() through the packed package: the text read back by an independent parser (npm
// parse-prometheus-text-format) and every value compared with stats() and with what the test itself reported;
// OpenMetrics; the OTLP body against the shape the OpenTelemetry SDK's own OTLP/JSON serializer writes;
// routedFetch's request counters against real origins on loopback; counters across pool changes and toJSON.
import test from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { Router, routedFetch } from "edgeroute";
import { startOrigins } from "../shared/origins.mjs";

const require = createRequire(import.meta.url);
const parsePrometheus = require("parse-prometheus-text-format");

const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STATES = ["healthy", "ejected", "probing", "down"];
const IDS = ["a", 'q"b\\s', "ü-α", "d", "e"];

/** A Router with picks, latencies the test remembers, one node ejected and one marked down. */
function busyRouter() {
  const r = new Router({ strategy: "ring", nodes: IDS.map((id, i) => ({ id, weight: i + 1 })), health: { consecutiveFailures: 3 } });
  for (let i = 0; i < 5000; i++) r.pick(`/k/${i}`);
  /** @type {Map<string, number[]>} latencies in ms the test reported, per node */
  const reported = new Map(IDS.map((id) => [id, []]));
  let x = 7;
  for (let i = 0; i < 400; i++) {
    const id = IDS[i % 3];
    x = (x * 48271) % 2147483647;
    const ms = (x % 30000) / 2; // 0 to 15 s in halves, across every bucket
    r.report(id, { ok: i % 7 !== 0, latencyMs: ms });
    reported.get(id).push(ms);
  }
  r.report("ü-α", { ok: true }); // an outcome without a latency: counted, not in the histogram
  for (let i = 0; i < 3; i++) r.report("d", { ok: false });
  r.markDown("e");
  return { r, reported };
}

/** parse-prometheus-text-format's families by name. */
function parse(text) {
  return new Map(parsePrometheus(text).map((f) => [f.name, f]));
}

/**
 * One node's series of a histogram family, parsed on its own. parse-prometheus-text-format reads a histogram as
 * one series keyed by `le` only (it merges labelled series), so the node's lines go to it alone, with the node
 * label taken off; the parser still reads every number and escape itself.
 */
function nodeHistogram(text, family, id) {
  const label = `node="${id.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`))}"`;
  const lines = text
    .split("\n")
    .filter((l) => l.startsWith(`# HELP ${family} `) || l.startsWith(`# TYPE ${family} `) || (l.startsWith(`${family}_`) && l.includes(label)))
    .map((l) => l.replace(`{${label}}`, "").replace(`{${label},`, "{"));
  const f = parsePrometheus(lines.join("\n") + "\n");
  assert.equal(f.length, 1, `${family} for ${id}`);
  return f[0].metrics[0];
}

/** The one sample of `family` whose labels include `labels`. */
function sample(fams, name, labels = {}) {
  const f = fams.get(name);
  assert.ok(f, `family ${name} is missing`);
  const hits = f.metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  assert.equal(hits.length, 1, `${name} ${JSON.stringify(labels)}: ${hits.length} samples`);
  return hits[0];
}

test("metrics(): every value, read back by an independent parser, is what stats() and the test's reports say", () => {
  const { r, reported } = busyRouter();
  const text = r.metrics();
  const fams = parse(text);
  const stats = r.stats();
  const type = (n) => fams.get(n)?.type;
  assert.equal(type("edgeroute_node_picks_total"), "COUNTER");
  assert.equal(type("edgeroute_node_inflight"), "GAUGE");
  assert.equal(type("edgeroute_node_latency_seconds"), "HISTOGRAM");
  for (const s of stats) {
    const node = { node: s.id };
    const v = (name, labels = {}) => Number(sample(fams, name, { ...node, ...labels }).value);
    assert.equal(v("edgeroute_node_picks_total"), s.picks, `${s.id} picks`);
    assert.equal(v("edgeroute_node_successes_total"), s.successes);
    assert.equal(v("edgeroute_node_failures_total"), s.failures);
    assert.equal(v("edgeroute_node_ejections_total"), s.ejectionsTotal);
    assert.equal(v("edgeroute_node_inflight"), s.inflight);
    assert.equal(v("edgeroute_node_weight"), s.weight);
    assert.equal(v("edgeroute_node_effective_weight"), s.effectiveWeight);
    for (const st of STATES) assert.equal(v("edgeroute_node_state", { state: st }), st === s.state ? 1 : 0, `${s.id} ${st}`);
    if (s.ewmaMs === null) assert.ok(!fams.get("edgeroute_node_latency_ewma_seconds").metrics.some((m) => m.labels.node === s.id));
    // The estimate decays with time, and stats() was read a moment after metrics().
    else assert.ok(Math.abs(v("edgeroute_node_latency_ewma_seconds") / (s.ewmaMs / 1000) - 1) < 0.02, `${s.id} EWMA`);
    // The histogram, bucketed here from the latencies the test reported.
    const ms = reported.get(s.id);
    const h = nodeHistogram(text, "edgeroute_node_latency_seconds", s.id);
    assert.equal(Number(h.count), ms.length, `${s.id} histogram count`);
    assert.ok(Math.abs(Number(h.sum) - ms.reduce((a, b) => a + b, 0) / 1000) < 1e-6, `${s.id} histogram sum`);
    for (const b of BOUNDS) assert.equal(Number(h.buckets[String(b)]), ms.filter((m) => m / 1000 <= b).length, `${s.id} le=${b}`);
    assert.equal(Number(h.buckets["+Inf"]), ms.length);
  }
  assert.equal(stats.find((s) => s.id === "d").state, "ejected");
  assert.equal(stats.find((s) => s.id === "e").effectiveWeight, 0);
  for (const st of STATES) assert.equal(Number(sample(fams, "edgeroute_nodes", { state: st }).value), stats.filter((s) => s.state === st).length);
  assert.equal(Number(sample(fams, "edgeroute_panic").value), 0);
  assert.equal(Number(sample(fams, "edgeroute_picks_total").value), 5000);
  assert.equal(Number(sample(fams, "edgeroute_ejections_total").value), 1);
  const w = stats.reduce((a, s) => a + s.weight, 0);
  const balance = Math.max(...stats.map((s) => s.picks / s.weight)) / (5000 / w);
  assert.ok(Math.abs(Number(sample(fams, "edgeroute_pick_balance_ratio").value) - balance) < 1e-12);
  // Every family has HELP and TYPE before its samples, and the text ends with a newline.
  assert.ok(text.endsWith("\n") && !text.includes("# EOF"));
  for (const f of fams.values()) assert.ok(f.help.length > 10, `${f.name} has help`);
});

test("metrics(): prefix and constant labels, escaped as the format requires", () => {
  const { r } = busyRouter();
  const text = r.metrics({ prefix: "lb", labels: { pool: 'o"r\\i\ngins', colo: "AMS" } });
  const fams = parse(text);
  assert.ok([...fams.keys()].every((n) => n.startsWith("lb_")));
  const m = sample(fams, "lb_node_picks_total", { node: 'q"b\\s' });
  assert.equal(m.labels.colo, "AMS");
  assert.equal(m.labels.pool, 'o"r\\i\ngins');
  assert.ok(text.includes('pool="o\\"r\\\\i\\ngins"'), "quote, backslash and newline escaped");
  assert.ok(parse(r.metrics({ prefix: "" })).has("node_picks_total"));
});

test("metrics({ format: 'openmetrics' }): the same samples, OpenMetrics metadata, # EOF", () => {
  const { r } = busyRouter();
  const prom = r.metrics();
  const om = r.metrics({ format: "openmetrics" });
  assert.ok(om.endsWith("# EOF\n"));
  assert.ok(om.includes("# TYPE edgeroute_node_picks counter\n") && prom.includes("# TYPE edgeroute_node_picks_total counter\n"));
  assert.ok(om.includes("# UNIT edgeroute_node_latency_seconds seconds\n"));
  const samples = (t) => t.split("\n").filter((l) => l && !l.startsWith("#") && !l.startsWith("edgeroute_node_latency_ewma"));
  assert.deepEqual(samples(om), samples(prom));
});

test("otlpMetrics(): the OTLP/JSON shape the OpenTelemetry SDK's own serializer writes, with the text's values", async () => {
  const { MeterProvider, MetricReader } = require("@opentelemetry/sdk-metrics");
  const { JsonMetricsSerializer } = require("@opentelemetry/otlp-transformer");
  class Reader extends MetricReader {
    async onForceFlush() {}
    async onShutdown() {}
  }
  const reader = new Reader();
  const meter = new MeterProvider({ readers: [reader] }).getMeter("edgeroute", "1");
  meter.createCounter("c", { unit: "{pick}" }).add(5, { node: "a" });
  meter.createGauge("g").record(1.5, { node: "a" });
  meter.createHistogram("h", { unit: "s", advice: { explicitBucketBoundaries: [0.005, 0.01] } }).record(0.007, { node: "a" });
  const { resourceMetrics } = await reader.collect();
  const ref = JSON.parse(new TextDecoder().decode(JsonMetricsSerializer.serializeRequest(resourceMetrics)));
  const refMetric = (kind) => ref.resourceMetrics[0].scopeMetrics[0].metrics.find((m) => m[kind]);
  const keys = (o) => Object.keys(o).sort();
  const subset = (ours, theirs, what) => {
    for (const k of keys(ours)) assert.ok(theirs.includes(k), `${what}: ${k} is not a field the SDK writes (${theirs})`);
  };

  const { r } = busyRouter();
  const body = r.otlpMetrics({ labels: { pool: "p" }, resource: { "service.name": "edge" } });
  subset(body, keys(ref), "request");
  const rm = body.resourceMetrics[0];
  subset(rm, keys(ref.resourceMetrics[0]), "resourceMetrics");
  assert.deepEqual(rm.resource.attributes, [{ key: "service.name", value: { stringValue: "edge" } }]);
  const metrics = rm.scopeMetrics[0].metrics;
  assert.equal(rm.scopeMetrics[0].scope.name, "edgeroute");
  const int64 = (v) => (typeof v === "string" && /^\d+$/.test(v)) || Number.isSafeInteger(v);
  for (const m of metrics) {
    const kind = ["sum", "gauge", "histogram"].find((k) => m[k]);
    const theirs = refMetric(kind);
    subset(m, [...keys(theirs), "description", "unit"], m.name);
    subset(m[kind], keys(theirs[kind]), `${m.name}.${kind}`);
    if (kind !== "gauge") assert.equal(m[kind].aggregationTemporality, theirs[kind].aggregationTemporality, "cumulative");
    if (kind === "sum") assert.equal(m.sum.isMonotonic, true);
    for (const p of m[kind].dataPoints) {
      subset(p, [...keys(theirs[kind].dataPoints[0]), "asInt"], `${m.name} point`);
      assert.ok(int64(p.timeUnixNano) && (kind === "gauge" || int64(p.startTimeUnixNano)));
      assert.equal(p.attributes[0].key, "pool");
      if (kind === "histogram") {
        assert.deepEqual(p.explicitBounds, BOUNDS);
        assert.equal(p.bucketCounts.length, BOUNDS.length + 1);
        assert.ok(p.bucketCounts.every(int64) && int64(p.count));
      } else assert.ok("asInt" in p ? int64(p.asInt) : typeof p.asDouble === "number", `${m.name}: a number`);
    }
  }
  // The values agree with the text: picks per node, and a histogram's per-bucket counts.
  const raw = r.metrics();
  const text = parse(raw);
  const picks = metrics.find((m) => m.name === "edgeroute.node.picks");
  assert.equal(picks.unit, "{pick}");
  for (const p of picks.sum.dataPoints) {
    const node = p.attributes.find((a) => a.key === "node").value.stringValue;
    assert.equal(p.asInt, sample(text, "edgeroute_node_picks_total", { node }).value);
  }
  const lat = metrics.find((m) => m.name === "edgeroute.node.latency").histogram.dataPoints[0];
  const node = lat.attributes.find((a) => a.key === "node").value.stringValue;
  const h = nodeHistogram(raw, "edgeroute_node_latency_seconds", node);
  assert.equal(lat.count, h.count);
  let cum = 0;
  lat.bucketCounts.forEach((c, i) => {
    cum += Number(c);
    assert.equal(String(cum), h.buckets[i < BOUNDS.length ? String(BOUNDS[i]) : "+Inf"]);
  });
  assert.ok(BigInt(lat.startTimeUnixNano) <= BigInt(lat.timeUnixNano));
  assert.ok(Math.abs(Number(BigInt(lat.timeUnixNano) / 1_000_000n) - Date.now()) < 60_000, "times are Unix ns");
});

test("routedFetch counts requests, attempts, failovers, timeouts and duration", async () => {
  const origins = await startOrigins(["a", "b", "c"]);
  try {
    const r = new Router({ strategy: "rendezvous", nodes: origins.urls.map((id) => ({ id })), health: { consecutiveFailures: 1000 } });
    const counts = () => {
      const f = parse(r.metrics());
      const n = (name, labels) => Number(sample(f, name, labels).value);
      return {
        response: n("edgeroute_requests_total", { result: "response" }),
        failed: n("edgeroute_requests_total", { result: "failed" }),
        aborted: n("edgeroute_requests_total", { result: "aborted" }),
        attempts: n("edgeroute_request_attempts_total"),
        failovers: n("edgeroute_request_failovers_total"),
        timeouts: n("edgeroute_request_timeouts_total"),
        durations: Number(sample(f, "edgeroute_request_duration_seconds").count),
      };
    };
    for (let i = 0; i < 10; i++) await (await routedFetch(r, `http://x/ok/${i}`)).text();
    assert.deepEqual(counts(), { response: 10, failed: 0, aborted: 0, attempts: 10, failovers: 0, timeouts: 0, durations: 10 });

    // Every origin answers 503: three attempts each, then ERR_ALL_ATTEMPTS_FAILED.
    for (const n of ["a", "b", "c"]) origins.set(n, "503");
    await assert.rejects(routedFetch(r, "http://x/down"), { code: "ERR_ALL_ATTEMPTS_FAILED" });
    // One hangs past timeoutMs, the next answers: a timeout and a failover, then a response.
    const order = r.pickN("/slow", 3).map((u) => origins.byUrl[u]);
    origins.set(order[0], "hang");
    origins.set(order[1], "ok");
    await (await routedFetch(r, "http://x/slow", { timeoutMs: 200 })).text();
    // The caller aborts while the first origin hangs.
    const ac = new AbortController();
    const slowKey = "/slow";
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(routedFetch(r, `http://x${slowKey}`, { signal: ac.signal, timeoutMs: 5000 }));
    assert.deepEqual(counts(), { response: 11, failed: 1, aborted: 1, attempts: 10 + 3 + 2 + 1, failovers: 2 + 1, timeouts: 1, durations: 13 });
    // Attempts also reached the nodes' own counters (reported outcomes).
    const stats = r.stats();
    assert.equal(stats.reduce((a, s) => a + s.successes + s.failures, 0), 10 + 3 + 2);
  } finally {
    await origins.close();
  }
});

test("counters stay monotonic across add, setWeight, remove and a toJSON/fromJSON round trip", () => {
  const { r } = busyRouter();
  const picks = (x) => Number(sample(parse(x.metrics()), "edgeroute_picks_total").value);
  const nodePicks = (x, node) => Number(sample(parse(x.metrics()), "edgeroute_node_picks_total", { node }).value);
  const a = nodePicks(r, "a");
  let last = picks(r);
  r.add({ id: "new" });
  r.setWeight("a", 9);
  assert.equal(nodePicks(r, "a"), a, "setWeight keeps a node's counters");
  assert.equal(picks(r), last);
  r.remove("d");
  assert.equal(picks(r), last, "a removed node's picks stay in the pool's total");
  assert.ok(!r.metrics().includes('node="d"'), "a removed node's series are gone");
  for (let i = 0; i < 100; i++) r.pick(`/more/${i}`);
  assert.ok(picks(r) >= last + 100);
  last = picks(r);
  const copy = Router.fromJSON(JSON.parse(JSON.stringify(r.toJSON())));
  const strip = (t) => t.replace(/^.*edgeroute_node_latency_ewma_seconds.*\n/gm, "");
  assert.equal(strip(copy.metrics()), strip(r.metrics()), "every counter, gauge and histogram survives the round trip");
  assert.equal(picks(copy), last);
});
