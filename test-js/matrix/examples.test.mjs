// The examples that run under Node, on the runtime running this file: test-js/run.sh runs it with each Node of
// its version matrix and with Bun, next to test/node/esm.test.mjs and cjs.test.cjs. (The machine's Node runs the
// same example in test/redis/; examples/worker.js and examples/deno.ts run in workerd and Deno; test/prometheus/
// scrapes metrics-server.mjs with a real Prometheus.)
import test from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { startRedis } from "../shared/redis-server.mjs";
import { startOrigins } from "../shared/origins.mjs";
import { startExample } from "../prometheus/prometheus.mjs";

test("examples/redis-tasks.mjs: every task done once, shares follow the weights", async () => {
  const server = await startRedis();
  try {
    const tasks = 3000;
    // process.execPath: the example runs on the same Node (or Bun) as this test.
    const { stdout } = await promisify(execFile)(process.execPath, ["examples/redis-tasks.mjs", "--port", String(server.port), "--tasks", String(tasks)], { encoding: "utf8", timeout: 60_000 });
    const out = JSON.parse(stdout.trim().split("\n").pop());
    assert.equal(out.tasks, tasks);
    let sum = 0;
    for (const [id, w] of Object.entries(out.workers)) {
      assert.equal(w.assigned, w.completed, `${id} completed what it was assigned`);
      const sd = Math.sqrt(tasks * w.expected * (1 - w.expected));
      assert.ok(Math.abs(w.completed - tasks * w.expected) < 5 * sd, `${id}: ${w.completed} of ${tasks}, expected ${tasks * w.expected}`);
      sum += w.completed;
    }
    assert.equal(Object.keys(out.workers).length, 4);
    assert.equal(sum, tasks);
  } finally {
    await server.stop();
  }
});

test("examples/metrics-server.mjs: proxies with routedFetch, /metrics in the text format or OpenMetrics", async () => {
  const origins = await startOrigins(["a", "b"]);
  let example;
  try {
    example = await startExample(".", origins.urls, { POOL: "matrix" });
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${example.url}/p/${i}?q=1`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), `${origins.byUrl[res.headers.get("x-edgeroute-origin")]} /p/${i}?q=1`);
    }
    const post = await fetch(`${example.url}/upload`, { method: "POST", body: "hello" });
    assert.equal(await post.text(), `${origins.byUrl[post.headers.get("x-edgeroute-origin")]} /upload`);
    assert.equal(origins.log.at(-1).bodyBytes, 5);

    // Prometheus's scraper asks for OpenMetrics first; ?format= overrides the Accept header.
    const scraper = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    const cases = [
      [{}, "", "text/plain; version=0.0.4; charset=utf-8"],
      [{ accept: scraper }, "", "application/openmetrics-text; version=1.0.0; charset=utf-8"],
      [{ accept: scraper }, "?format=prometheus", "text/plain; version=0.0.4; charset=utf-8"],
      [{}, "?format=openmetrics", "application/openmetrics-text; version=1.0.0; charset=utf-8"],
    ];
    for (const [headers, query, type] of cases) {
      const res = await fetch(`${example.url}/metrics${query}`, { headers });
      assert.equal(res.headers.get("content-type"), type, `${JSON.stringify(headers)} ${query}`);
      const text = await res.text();
      assert.match(text, /^edgeroute_requests_total\{pool="matrix",result="response"\} 21$/m);
      assert.equal(text.endsWith("# EOF\n"), type.startsWith("application/openmetrics-text"));
    }
    const stats = await (await fetch(`${example.url}/stats`)).json();
    assert.equal(stats.reduce((n, s) => n + s.picks, 0), 21);
  } finally {
    await example?.stop();
    await origins.close();
  }
});
