// Starts the real daemons the compat profiles are checked against, on loopback only: HTTP origins (Node),
// nginx, HAProxy, memcached and nutcracker (twemproxy). Every process is tracked and killed by stopAll().
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort } from "../shared/redis-server.mjs";

const procs = [];
const servers = [];
export const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "edgeroute-compat-"));

export { freePort };

function canConnect(opts) {
  return new Promise((resolve) => {
    const c = net.connect(opts);
    c.once("connect", () => {
      c.destroy();
      resolve(true);
    });
    c.once("error", () => resolve(false));
  });
}

export async function waitListening(opts, what, proc, ms = 15_000) {
  const end = Date.now() + ms;
  while (!(await canConnect(opts))) {
    if (proc && proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode}:\n${proc.log()}`);
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Spawns a tracked process (stopAll() stops it); `env` adds to the environment. */
export function run(cmd, args, what, env = {}) {
  let log = "";
  const p = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  p.stdout.on("data", (d) => (log += d));
  p.stderr.on("data", (d) => (log += d));
  p.log = () => log;
  p.what = what;
  procs.push(p);
  return p;
}

/** An HTTP origin that answers every request with `x-origin: <name>`; `listen` is {host, port} or {path}. */
export async function startOrigin(name, listen) {
  const s = http.createServer((req, res) => {
    res.setHeader("x-origin", name);
    res.end(name);
  });
  await new Promise((resolve, reject) => {
    s.once("error", reject);
    s.listen(listen, resolve);
  });
  servers.push(s);
  return s;
}

/** Starts nginx with this `http { ... }` body; waits for every port in `ports` (on `host`). */
export async function startNginx(httpBody, ports, host = "127.0.0.1") {
  const dir = fs.mkdtempSync(path.join(tmp, "nginx-"));
  const temps = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map((t) => `  ${t}_temp_path ${dir}/${t};`)
    .join("\n");
  const user = process.getuid?.() === 0 ? "user root;\n" : "";
  const conf = `${user}worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
  access_log off;
${temps}
${httpBody}
}
`;
  fs.writeFileSync(`${dir}/nginx.conf`, conf);
  const p = run("nginx", ["-p", dir, "-c", `${dir}/nginx.conf`, "-e", `${dir}/error.log`], "nginx");
  for (const port of ports) await waitListening({ host, port }, `nginx on ${host}:${port}`, p);
  return p;
}

/** Starts haproxy in the foreground with this configuration; waits for every port in `ports` (on `host`). */
export async function startHaproxy(conf, ports, host = "127.0.0.1") {
  const dir = fs.mkdtempSync(path.join(tmp, "haproxy-"));
  fs.writeFileSync(`${dir}/haproxy.cfg`, conf);
  const p = run("haproxy", ["-db", "-f", `${dir}/haproxy.cfg`], "haproxy");
  for (const port of ports) await waitListening({ host, port }, `haproxy on ${host}:${port}`, p);
  return p;
}

/** A memcached on {host, port} or a unix socket {path}. */
export async function startMemcached(listen) {
  const user = process.getuid?.() === 0 ? ["-u", "root"] : [];
  const args = listen.path
    ? ["-s", listen.path, "-a", "0700"]
    : ["-l", listen.host, "-p", String(listen.port), "-U", "0"];
  const p = run("memcached", [...args, "-m", "32", ...user], "memcached");
  await waitListening(listen, `memcached on ${listen.path ?? `${listen.host}:${listen.port}`}`, p);
  return p;
}

/** Starts nutcracker with this YAML; waits for every port in `ports` (on `host`, where its stats port goes too). */
export async function startNutcracker(yaml, ports, host = "127.0.0.1") {
  const dir = fs.mkdtempSync(path.join(tmp, "nutcracker-"));
  fs.writeFileSync(`${dir}/nutcracker.yml`, yaml);
  const check = run("nutcracker", ["-t", "-c", `${dir}/nutcracker.yml`], "nutcracker -t");
  await new Promise((r) => check.once("exit", r));
  if (check.exitCode !== 0) throw new Error(`nutcracker rejected the config:\n${check.log()}`);
  const stats = await freePort();
  const p = run(
    "nutcracker",
    ["-c", `${dir}/nutcracker.yml`, "-o", `${dir}/nutcracker.log`, "-p", `${dir}/nutcracker.pid`, "-a", host, "-s", String(stats)],
    "nutcracker",
  );
  for (const port of ports) await waitListening({ host, port }, `nutcracker on ${host}:${port}`, p);
  return p;
}

export async function stopAll() {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
  // SIGTERM: nginx's master then stops its workers (SIGKILL would orphan them, still connected).
  await Promise.all(
    procs.splice(0).map(
      (p) =>
        new Promise((r) => {
          if (p.exitCode !== null || p.signalCode !== null) return r();
          const force = setTimeout(() => p.kill("SIGKILL"), 5000);
          p.once("exit", () => {
            clearTimeout(force);
            r();
          });
          p.kill("SIGTERM");
        }),
    ),
  );
  fs.rmSync(tmp, { recursive: true, force: true });
}

/**
 * Which origin served each key: GET with header `x-key: <key's UTF-8 bytes>`, `concurrency` at a time; with
 * `asPath`, GET the key itself as the request target (a path and query, as sent).
 */
export async function originsFor(port, keys, concurrency = 16, { host = "127.0.0.1", asPath = false } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const out = new Array(keys.length);
  let next = 0;
  const one = (i) =>
    new Promise((resolve, reject) => {
      const value = Buffer.from(keys[i], "utf8").toString("latin1");
      const target = asPath ? { path: keys[i] } : { path: "/", headers: { "x-key": value } };
      const req = http.get({ host, port, agent, ...target }, (res) => {
        res.resume();
        res.on("end", () => {
          out[i] = res.headers["x-origin"] ?? `HTTP ${res.statusCode}`;
          resolve();
        });
      });
      req.on("error", reject);
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < keys.length) await one(next++);
    }),
  );
  agent.destroy();
  return out;
}

/** A minimal memcached text-protocol connection: send raw bytes, read until `done(buffer)` says so. */
export async function memcachedExchange(target, payload, done, ms = 20_000) {
  const sock = net.connect(target);
  await new Promise((resolve, reject) => {
    sock.once("connect", resolve);
    sock.once("error", reject);
  });
  let buf = Buffer.alloc(0);
  const result = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`memcached reply timed out: ${buf.toString("latin1").slice(-200)}`)), ms);
    sock.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      if (done(buf)) {
        clearTimeout(timer);
        resolve(buf);
      }
    });
    sock.once("error", reject);
  });
  sock.write(payload);
  const b = await result;
  sock.destroy();
  return b;
}

const crlf = Buffer.from("\r\n");

/** `set` every key through `target` (twemproxy), each with a 1-byte value; resolves when all are STORED. */
export async function setAll(target, keys) {
  const parts = [];
  for (const k of keys) parts.push(Buffer.from(`set `), Buffer.from(k, "utf8"), Buffer.from(` 0 0 1\r\nv\r\n`));
  const stored = Buffer.from("STORED\r\n");
  const want = stored.length * keys.length;
  const reply = await memcachedExchange(target, Buffer.concat(parts), (b) => b.length >= want || b.includes("ERROR"));
  if (!reply.equals(Buffer.concat(keys.map(() => stored)))) {
    throw new Error(`twemproxy did not store every key: ${reply.toString("latin1").slice(0, 300)}`);
  }
}

/** The keys (UTF-8 strings) that this memcached holds, out of `keys`. */
export async function heldBy(target, keys) {
  const held = new Set();
  for (let i = 0; i < keys.length; i += 40) {
    const chunk = keys.slice(i, i + 40);
    const line = Buffer.concat([Buffer.from("get"), ...chunk.flatMap((k) => [Buffer.from(" "), Buffer.from(k, "utf8")]), crlf]);
    const reply = await memcachedExchange(target, line, (b) => b.length >= 5 && b.subarray(b.length - 5).toString() === "END\r\n");
    let at = 0;
    for (;;) {
      const eol = reply.indexOf(crlf, at);
      const head = reply.subarray(at, eol).toString("latin1");
      if (head === "END") break;
      const m = /^VALUE (\S+) \d+ (\d+)$/.exec(head);
      if (!m) throw new Error(`unexpected memcached reply ${head}`);
      held.add(Buffer.from(m[1], "latin1").toString("utf8"));
      at = eol + 2 + Number(m[2]) + 2;
    }
  }
  return held;
}

export async function flushAll(targets) {
  for (const t of targets) await memcachedExchange(t, Buffer.from("flush_all\r\n"), (b) => b.includes("OK\r\n"));
}

/** Test keys: ASCII, punctuation, 2/3/4-byte UTF-8, long ones; no spaces or control bytes (memcached keys). */
export function makeKeys(n, tag = "") {
  const shapes = [
    (i) => `user:${i}${tag}`,
    (i) => `/path/${i}/index.html?q=${i * 7}&x=y${tag}`,
    (i) => `ключ-${i}${tag}`,
    (i) => `キー${i}の値${tag}`,
    (i) => `emoji-🎉-${i}${tag}`,
    (i) => `a,b;c=${i}!@#$%^&*()[]{}<>|~${tag}`,
    (i) => `ñandú.${i}.€${tag}`,
    (i) => `${"k".repeat(60 + (i % 50))}-${i}${tag}`,
    (i) => `${i}`,
  ];
  return Array.from({ length: n }, (_, i) => shapes[i % shapes.length](i));
}
