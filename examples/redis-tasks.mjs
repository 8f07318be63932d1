// Task scheduling through a Redis registry (the use case of seed 004): a producer assigns each task to a
// worker chosen inside Redis by weighted random selection (lua/random.lua), workers take tasks from their own
// list and report back, and the producer checks that the shares follow the weights.
//
//   node examples/redis-tasks.mjs [--port 6379] [--tasks 3000]
//
// Prints one JSON line: per worker its weight, the tasks it was assigned and completed, and its share.
import Redis from "ioredis";
import { Registry } from "edgeroute";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const port = arg("port", 6379);
const tasks = arg("tasks", 3000);
const workers = { "worker-a": 1, "worker-b": 2, "worker-c": 3, "worker-d": 4 };
const run = `run-${Date.now()}`;

const producer = new Redis({ port, host: "127.0.0.1" });
const registry = new Registry((...a) => producer.call(...a), { name: `tasks-${run}` });
for (const [id, weight] of Object.entries(workers)) await registry.add({ id, weight, meta: { zone: "local" } });

// Each worker: its own connection (BLPOP blocks it), its own queue, a shared results list.
const done = `${run}:results`;
const loops = Object.keys(workers).map(async (id) => {
  const conn = new Redis({ port, host: "127.0.0.1" });
  for (;;) {
    const [, task] = await conn.blpop(`${run}:queue:${id}`, 0);
    if (task === "stop") break;
    await conn.rpush(done, `${id} ${task}`);
  }
  conn.disconnect();
});

const assigned = Object.fromEntries(Object.keys(workers).map((id) => [id, 0]));
await Promise.all(
  Array.from({ length: tasks }, async (_, t) => {
    const id = await registry.pickRandom();
    assigned[id]++;
    await producer.rpush(`${run}:queue:${id}`, `task-${t}`);
  }),
);

const completed = Object.fromEntries(Object.keys(workers).map((id) => [id, 0]));
const seen = new Set();
for (let n = 0; n < tasks; n++) {
  const [, line] = await producer.blpop(done, 10);
  const [id, task] = line.split(" ");
  if (seen.has(task)) throw new Error(`${task} was done twice`);
  seen.add(task);
  completed[id]++;
}
for (const id of Object.keys(workers)) await producer.rpush(`${run}:queue:${id}`, "stop");
await Promise.all(loops);

const total = Object.values(workers).reduce((a, b) => a + b, 0);
const report = Object.fromEntries(
  Object.entries(workers).map(([id, w]) => [id, { weight: w, expected: w / total, assigned: assigned[id], completed: completed[id], share: completed[id] / tasks }]),
);
console.log(JSON.stringify({ tasks, workers: report }));
producer.disconnect();
