// The metrics as a real Prometheus sees them: examples/metrics-server.mjs routes simulated traffic at a known rate
// with routedFetch over three loopback origins (one slow), a real Prometheus scrapes its /metrics every second in
// OpenMetrics (job "edgeroute") and in the text format 0.0.4 (job "edgeroute-text"), and the test asks
// Prometheus's HTTP API what it saw: the pick rate against the rate sent, the split per node against the
// Router's own stats(), an ejection after one origin starts failing, the latency histogram, and every PromQL
// expression of examples/grafana-dashboard.json. promtool lints the text format. About 25 s.
import test from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { startOrigins } from "../shared/origins.mjs";
import { startExample, startPrometheus } from "./prometheus.mjs";

const proj = path.resolve(import.meta.dirname, "../..");
const RATE = 50; // requests per second
const PATHS = 50; // the keys cycle through /item/0 .. /item/49, so every second carries the same keys
const WINDOW = 10; // seconds: the rate() window
// The rate Prometheus computes must match the rate sent within 5%. rate() over a 10 s window of 1 s scrapes is
// the counter's slope between the window's first and last samples, about 9 s apart. What can separate it from
// the rate sent: the count is whole (one request either side of each of the two samples: 2 / (50 × 9) = 0.4%);
// the counters a scrape reads are those a few ms after the scrape's timestamp (20 ms at each end on a loaded
// machine: 2 × 0.02 × 50 = 2 requests, 0.4%); and the sender's own lateness against its schedule, measured
// below and reported. Together under 1%; 5% leaves room for a busy 2-core machine without hiding a real error
// (a pick counted twice, or a scrape lost, is off by 100% or by 10%).
const TOLERANCE = 0.05;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends GET /item/<n> to `base` at RATE per second for `ms`, on a fixed schedule (a late send does not shift the
 * ones after it), without waiting for answers. Appends { at, path, status, origin } to `log`; resolves when every
 * answer is in, to the largest lateness in ms.
 */
let seq = 0;
async function traffic(base, ms, log) {
  const start = Date.now();
  const pending = [];
  let late = 0;
  for (let i = 0; start + (i * 1000) / RATE < start + ms; i++) {
    const due = start + (i * 1000) / RATE;
    if (due > Date.now()) await sleep(due - Date.now());
    late = Math.max(late, Date.now() - due);
    const entry = { at: Date.now(), path: `/item/${seq++ % PATHS}` };
    log.push(entry);
    pending.push(
      fetch(base + entry.path).then(async (res) => {
        entry.status = res.status;
        entry.origin = res.headers.get("x-edgeroute-origin");
        await res.text();
      }),
    );
  }
  await Promise.all(pending);
  return late;
}

/** Grafana's template variables in `expr` replaced by `vars`; an unknown one is an error. */
function substitute(expr, vars) {
  return expr.replace(/\$\{?(\w+)\}?/g, (m, name) => {
    assert.ok(name in vars, `the dashboard uses ${m}, which the test does not substitute`);
    return vars[name];
  });
}

// The timeout turns a hang into a failure; the run takes about 25 s.
test("Prometheus scrapes metrics(): rates, the split per node, an ejection, the dashboard's queries", { timeout: 120_000 }, async (t) => {
  const started = Date.now();
  const origins = await startOrigins(["a", "b", "c"]);
  const stops = [origins.close];
  try {
    const [A, B, C] = origins.urls;
    origins.set("c", "ok", 30); // c answers after 30 ms: its latency lands in the (0.025, 0.05] bucket
    const example = await startExample(proj, origins.urls, { POOL: "test" });
    stops.push(example.stop);
    const target = new URL(example.url).host;
    const prom = await startPrometheus({
      edgeroute: { target, params: { format: "openmetrics" } },
      "edgeroute-text": { target, params: { format: "prometheus" } },
    });
    stops.push(prom.stop);
    const query = prom.query;
    const stats = async () => Object.fromEntries((await (await fetch(`${example.url}/stats`)).json()).map((s) => [s.id, s]));
    const values = (data) => Object.fromEntries(data.result.map((r) => [r.metric.node ?? "", Number(r.value[1])]));
    // The time of the latest sample of `job`, in ms.
    const lastScrape = async (job) => 1000 * Number((await query(`timestamp(edgeroute_picks_total{job="${job}"})`)).result[0]?.value[1] ?? 0);
    const scrapedAfter = async (ms) => {
      const end = Date.now() + 10_000;
      for (const job of ["edgeroute", "edgeroute-text"]) {
        while ((await lastScrape(job)) <= ms) {
          assert.ok(Date.now() < end, `Prometheus did not scrape ${job} after ${new Date(ms).toISOString()}:\n${prom.log()}`);
          await sleep(200);
        }
      }
    };
    await scrapedAfter(Date.now());

    // Both formats scraped cleanly, by Prometheus's own parsers (it chooses one by the content type).
    const targets = (await (await fetch(`${prom.url}/api/v1/targets`)).json()).data.activeTargets;
    assert.deepEqual(targets.map((x) => [x.labels.job, x.health, x.lastError]).sort(), [["edgeroute", "up", ""], ["edgeroute-text", "up", ""]]);

    // Phase 1: every origin healthy, RATE requests per second.
    const log1 = [];
    const t1 = Date.now();
    const late1 = await traffic(example.url, 12_000, log1);
    const end1 = Date.now();
    assert.ok(log1.every((l) => l.status === 200), "a request failed with every origin healthy");
    await scrapedAfter(end1);
    const at1 = t1 + 11_500; // the window [at1 - 10 s, at1] lies inside the traffic

    await t.test("the pick rate Prometheus computes is the rate sent", async () => {
      const rate = Number((await query(`sum(rate(edgeroute_node_picks_total{job="edgeroute"}[${WINDOW}s]))`, at1)).result[0].value[1]);
      // The window's own samples, and what the test sent between the first and the last.
      const samples = (await query(`edgeroute_picks_total{job="edgeroute"}[${WINDOW}s]`, at1)).result[0].values.map(([ts, v]) => [ts * 1000, Number(v)]);
      const [first, last] = [samples[0], samples.at(-1)];
      const sent = log1.filter((l) => l.at > first[0] && l.at <= last[0]).length / ((last[0] - first[0]) / 1000);
      t.diagnostic(`sent ${RATE}/s on schedule (latest send ${late1} ms late); sent in the window ${sent.toFixed(2)}/s; Prometheus rate() ${rate.toFixed(2)}/s over ${samples.length} samples (${((rate / RATE - 1) * 100).toFixed(2)}% off the schedule)`);
      assert.ok(Math.abs(rate - RATE) <= TOLERANCE * RATE, `rate() ${rate}/s, sent ${RATE}/s`);
      assert.ok(Math.abs(rate - sent) <= TOLERANCE * sent, `rate() ${rate}/s, sent in the window ${sent}/s`);
    });

    await t.test("the split per node is what the Router counted", async () => {
      const s = await stats();
      const picks = Object.fromEntries(origins.urls.map((u) => [u, s[u].picks]));
      const total = log1.length;
      // Exact once traffic stopped: the last scrape of each format, the Router's stats(), and the origins that
      // answered (no request failed over in phase 1, so the origin that answered is the one picked).
      const served = Object.fromEntries(origins.urls.map((u) => [u, log1.filter((l) => l.origin === u).length]));
      assert.deepEqual(picks, served);
      for (const job of ["edgeroute", "edgeroute-text"]) {
        assert.deepEqual(values(await query(`edgeroute_node_picks_total{job="${job}"}`)), picks, job);
        assert.equal(values(await query(`edgeroute_requests_total{job="${job}", result="response"}`))[""], total, job);
      }
      // And the rate per node over the window has the Router's split.
      const rates = values(await query(`sum by (node) (rate(edgeroute_node_picks_total{job="edgeroute"}[${WINDOW}s]))`, at1));
      const sum = Object.values(rates).reduce((a, b) => a + b, 0);
      for (const u of origins.urls) {
        const want = (sum * picks[u]) / total;
        t.diagnostic(`${origins.byUrl[u]}: ${picks[u]} of ${total} picks (${((100 * picks[u]) / total).toFixed(1)}%), rate ${rates[u].toFixed(2)}/s, ${want.toFixed(2)}/s by the Router's split`);
        // The error budget of the total, per node, plus one request either side of the window.
        assert.ok(Math.abs(rates[u] - want) <= TOLERANCE * want + 2 / WINDOW, `${origins.byUrl[u]}: rate ${rates[u]}/s, want ${want}/s`);
      }
    });

    await t.test("the latency histogram places each origin's median in its bucket", async () => {
      const p50 = values(await query(`histogram_quantile(0.5, sum by (le, node) (rate(edgeroute_node_latency_seconds_bucket{job="edgeroute"}[${WINDOW}s])))`, at1));
      t.diagnostic(`p50 latency: ${Object.entries(p50).map(([u, v]) => `${origins.byUrl[u]} ${(v * 1000).toFixed(1)} ms`).join(", ")}`);
      assert.ok(p50[C] > 0.025 && p50[C] <= 0.05, `c answers after 30 ms, p50 ${p50[C]}`);
      assert.ok(p50[A] <= 0.025 && p50[B] <= 0.025, JSON.stringify(p50));
    });

    // Phase 2: b answers 503. routedFetch fails over to the next origin, so callers still get 200, and after
    // 5 failures in a row (the default) passive health ejects b for 30 s.
    origins.set("b", "503");
    const t2 = Date.now();
    const log2 = [];
    await traffic(example.url, 3000, log2);
    const end2 = Date.now();
    assert.ok(log2.every((l) => l.status === 200 && l.origin !== B), "a request failed, or b served one");
    await scrapedAfter(end2);

    await t.test("an ejection shows: node_state{state=\"ejected\"} is 1 and node_ejections_total grew", async () => {
      const s = await stats();
      assert.equal(s[B].state, "ejected");
      for (const job of ["edgeroute", "edgeroute-text"]) {
        const state = Object.fromEntries((await query(`edgeroute_node_state{job="${job}", node="${B}"}`)).result.map((r) => [r.metric.state, Number(r.value[1])]));
        assert.deepEqual(state, { healthy: 0, ejected: 1, probing: 0, down: 0 }, job);
        assert.equal(values(await query(`edgeroute_node_ejections_total{job="${job}", node="${B}"}`, t2 - 100))[B], 0, job);
        assert.equal(values(await query(`edgeroute_node_ejections_total{job="${job}", node="${B}"}`))[B], 1, job);
        assert.deepEqual(values(await query(`edgeroute_nodes{job="${job}", state="ejected"}`)), { "": 1 }, job);
      }
      const increase = values(await query(`increase(edgeroute_node_ejections_total{job="edgeroute"}[${Math.ceil((Date.now() - t2) / 1000) + 1}s])`));
      assert.ok(increase[B] > 0 && increase[A] === 0 && increase[C] === 0, JSON.stringify(increase));
      // Every failure of b sent its request on to another origin.
      const failures = values(await query(`edgeroute_node_failures_total{job="edgeroute"}`));
      const failovers = values(await query(`edgeroute_request_failovers_total{job="edgeroute"}`))[""];
      t.diagnostic(`b: ${failures[B]} failures, ejected; ${failovers} failovers; ${log2.length} requests in phase 2, all answered 200`);
      assert.ok(failures[B] >= 5 && failures[A] === 0 && failures[C] === 0, JSON.stringify(failures));
      assert.equal(failovers, failures[B]);
    });

    await t.test("every PromQL expression of examples/grafana-dashboard.json runs and returns data", async () => {
      const dashboard = JSON.parse(fs.readFileSync(path.join(proj, "examples/grafana-dashboard.json"), "utf8"));
      assert.equal(dashboard.schemaVersion, 39);
      const vars = { job: "edgeroute", pool: "test", __rate_interval: "5s" };
      const names = dashboard.templating.list.map((v) => v.name);
      assert.deepEqual(names, ["datasource", "job", "pool"]);
      const ids = new Set();
      const exprs = [];
      for (const p of dashboard.panels) {
        assert.ok(!ids.has(p.id), `panel id ${p.id} twice`);
        ids.add(p.id);
        for (const target of p.targets ?? []) {
          assert.equal(target.datasource.uid, "${datasource}", p.title);
          exprs.push([`${p.title} ${target.refId}`, substitute(target.expr, vars)]);
        }
      }
      // The variables' label_values(selector, label) as PromQL.
      for (const v of dashboard.templating.list.filter((v) => v.type === "query")) {
        const m = v.query.query.match(/^label_values\((.*), (\w+)\)$/);
        assert.ok(m, v.query.query);
        exprs.push([`variable ${v.name}`, `group by (${m[2]}) (${substitute(m[1], vars)})`]);
      }
      assert.ok(exprs.length >= 20, `${exprs.length} expressions`);
      // At the end of phase 2, while traffic ran and b was ejected.
      const at2 = end2 - 500;
      for (const [what, expr] of exprs) {
        const data = await query(expr, at2);
        assert.ok(data.result.length > 0, `${what}: no data for ${expr}`);
        assert.ok(data.result.some((r) => Number.isFinite(Number(r.value[1]))), `${what}: no finite value for ${expr}`);
      }
      // The node-state panel shows b as ejected (1) and the others healthy (0).
      const statePanel = dashboard.panels.find((p) => p.title === "Node state");
      assert.deepEqual(values(await query(substitute(statePanel.targets[0].expr, vars), at2)), { [A]: 0, [B]: 1, [C]: 0 });
      t.diagnostic(`${exprs.length} expressions ran against Prometheus, each with data`);
    });

    await t.test("promtool check metrics finds nothing to lint in the text format", async () => {
      const text = await (await fetch(`${example.url}/metrics?format=prometheus`)).text();
      const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
      assert.equal(r.error, undefined, `promtool: ${r.error?.message}`);
      assert.equal(r.stdout + r.stderr, "");
      assert.equal(r.status, 0);
      t.diagnostic(`promtool check metrics: clean (${text.split("\n").length} lines)`);
    });
    t.diagnostic(`wall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
});
