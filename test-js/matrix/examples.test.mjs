// The examples that run under Node, on the runtime running this file: test-js/run.sh runs it with each Node of
// its version matrix and with Bun, next to test/node/esm.test.mjs and cjs.test.cjs. (The machine's Node runs the
// same example in test/redis/; examples/worker.js and examples/deno.ts run in workerd and Deno.)
import test from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { startRedis } from "../shared/redis-server.mjs";

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
