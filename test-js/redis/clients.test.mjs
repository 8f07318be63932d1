// Registry.pick and pickN through three Redis clients (ioredis, node-redis, and a bare RESP client over
// node:net) against a real redis-server, for string keys and byte keys (plain Uint8Arrays: non-UTF-8 bytes,
// views at an offset, the empty key): each must pick what router.pick picks, on every key. Also a runtime
// without Buffer (a child process that deletes it): byte keys are refused with a coded error until
// options.bytes says how the client sends them, and then agree too.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import Redis from "ioredis";
import { createClient } from "redis";
import { Registry, EdgerouteError } from "edgeroute";
import { startRedis } from "../shared/redis-server.mjs";
import { connectResp } from "./resp.mjs";
import { stringKeys, byteKeys } from "./keys.mjs";

const NAME = "clients";
const SEED = 424242;
const NODES = [
  { id: "origin-a.example:443", weight: 1 },
  { id: "origin-b.example:443", weight: 2 },
  { id: "origin-東京", weight: 3 },
  { id: "origin-d", weight: 0.5 },
  { id: "origin-e", weight: 1 },
  { id: "origin-f", weight: 4 },
  { id: "origin-g", weight: 1 / 3 },
];

let server;
const closers = [];
const clients = {};

before(async () => {
  server = await startRedis();
  const io = new Redis({ port: server.port, host: "127.0.0.1", maxRetriesPerRequest: 1 });
  closers.push(() => io.disconnect());
  clients.ioredis = (...a) => io.call(...a);
  const nr = createClient({ socket: { host: "127.0.0.1", port: server.port } });
  await nr.connect();
  closers.push(() => nr.quit());
  clients["node-redis"] = (...a) => nr.sendCommand(a);
  const bare = await connectResp({ port: server.port });
  closers.push(() => bare.close());
  clients["bare RESP"] = bare.command;
  const reg = new Registry(clients.ioredis, { name: NAME, seed: SEED });
  for (const n of NODES) await reg.add(n);
});
after(async () => {
  for (const close of closers) await close();
  await server.stop();
});

const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/** How many keys Registry.pick and pickN(3) agree on with the Router, and the first error, if any. */
async function agreement(reg, router, keys) {
  const one = await Promise.allSettled(keys.map((k) => reg.pick(k)));
  const three = await Promise.allSettled(keys.map((k) => reg.pickN(k, 3)));
  let pick = 0;
  let pickN = 0;
  let error;
  keys.forEach((k, i) => {
    if (one[i].status === "fulfilled" && one[i].value === router.pick(k)) pick++;
    if (three[i].status === "fulfilled" && same(three[i].value, router.pickN(k, 3))) pickN++;
    error ??= one[i].reason?.message ?? three[i].reason?.message;
  });
  return { pick, pickN, error };
}

test("Registry.pick/pickN agree with router.pick on 2,000 string and 2,000 byte keys through every client", async () => {
  const router = await new Registry(clients.ioredis, { name: NAME, seed: SEED }).router();
  const kinds = { string: stringKeys(), bytes: byteKeys() };
  assert.equal(kinds.bytes.filter((k) => k.constructor === Uint8Array).length, 2000, "plain Uint8Arrays, not Buffers");
  const rows = [];
  for (const [client, command] of Object.entries(clients)) {
    const reg = new Registry(command, { name: NAME, seed: SEED });
    for (const [kind, keys] of Object.entries(kinds)) {
      const r = await agreement(reg, router, keys);
      rows.push({ client, kind, ...r });
      console.log(`${client}, ${kind} keys: pick ${r.pick}/${keys.length}, pickN(3) ${r.pickN}/${keys.length}${r.error ? `; first error: ${r.error}` : ""}`);
    }
  }
  router.free();
  const bad = rows.filter((r) => r.pick !== 2000 || r.pickN !== 2000);
  assert.deepEqual(bad, [], "every client, every key kind: 2,000 of 2,000");
});

test("the command function gets a byte key as a Buffer copy (its bytes, not a view the caller may change)", async () => {
  const seen = [];
  const reg = new Registry((...a) => (seen.push(a), clients.ioredis(...a)), { name: NAME, seed: SEED });
  const backing = Uint8Array.from([0, 0, 0xff, 0x80, 0x2c, 0]);
  await reg.pick(backing.subarray(2, 5));
  // EVALSHA sha 2 <nodes> <version> <key> ...
  const key = seen[0][5];
  assert.ok(Buffer.isBuffer(key), `a Buffer, got ${key?.constructor?.name}`);
  assert.deepEqual([...key], [0xff, 0x80, 0x2c]);
  backing[2] = 1;
  assert.equal(key[0], 0xff, "a copy");
  // Strings stay strings.
  seen.length = 0;
  await reg.pick("/user/1");
  assert.equal(seen[0][5], "/user/1");
});

test("Registry keys are checked as router.pick checks them: same codes, before any command is sent", async () => {
  const sent = [];
  const reg = new Registry((...a) => (sent.push(a), clients.ioredis(...a)), { name: NAME });
  const detached = new Uint8Array(new ArrayBuffer(8), 2, 4);
  structuredClone(detached.buffer, { transfer: [detached.buffer] });
  assert.equal(detached.byteLength, 0, "detached");
  for (const [what, key] of [
    ["a number", 42],
    ["a lone surrogate", "a\uD800"],
    ["a detached buffer", detached],
    ["a Proxy over a Uint8Array", new Proxy(new Uint8Array(4), {})],
    ["a Uint8ClampedArray", new Uint8ClampedArray(4)],
    ["a byte key over 1 MiB", new Uint8Array((1 << 20) + 1)],
    ["a string key over 1 MiB", "k".repeat((1 << 20) + 1)],
  ]) {
    await assert.rejects(reg.pickN(key, 2), (e) => e instanceof EdgerouteError && e.code === "ERR_INVALID_KEY" && e.message.startsWith("Registry: "), what);
  }
  assert.deepEqual(sent, []);
  assert.throws(() => new Registry(clients.ioredis, { name: NAME, bytes: "buffer" }), { code: "ERR_INVALID_OPTION" });
});

test("without Buffer: byte keys are refused with a code until options.bytes is given, then agree", () => {
  const script = `
    delete globalThis.Buffer;
    const { Registry } = await import("edgeroute");
    const { connectResp } = await import(${JSON.stringify(new URL("./resp.mjs", import.meta.url).href)});
    const { stringKeys, byteKeys } = await import(${JSON.stringify(new URL("./keys.mjs", import.meta.url).href)});
    const c = await connectResp({ port: ${server.port} });
    const out = { hasBuffer: typeof Buffer !== "undefined" };
    const plain = new Registry(c.command, { name: ${JSON.stringify(NAME)}, seed: ${SEED} });
    try {
      await plain.pick(new Uint8Array([0xff]));
      out.refused = null;
    } catch (e) {
      out.refused = { code: e.code, message: e.message };
    }
    const reg = new Registry(c.command, { name: ${JSON.stringify(NAME)}, seed: ${SEED}, bytes: (key) => key });
    const router = await reg.router();
    for (const [kind, keys, r] of [["string", stringKeys(), plain], ["bytes", byteKeys(), reg]]) {
      let agree = 0;
      for (const k of keys) if ((await r.pick(k)) === router.pick(k)) agree++;
      out[kind] = agree;
    }
    c.close();
    console.log(JSON.stringify(out));
  `;
  const out = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: new URL(".", import.meta.url), encoding: "utf8" }));
  console.log(`without Buffer: string keys ${out.string}/2000, byte keys with options.bytes ${out.bytes}/2000; without it: ${out.refused?.message}`);
  assert.equal(out.hasBuffer, false);
  assert.equal(out.refused?.code, "ERR_INVALID_OPTION");
  assert.match(out.refused.message, /options\.bytes/);
  assert.equal(out.string, 2000);
  assert.equal(out.bytes, 2000);
});
