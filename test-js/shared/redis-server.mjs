// Starts real redis-server processes on loopback for the tests: one standalone server, or a 3-master Redis
// Cluster built with `redis-cli --cluster create`. Each gets a temporary directory and is killed by stop().
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/** Ports this process has handed out: freePort never returns one twice. */
const handedOut = new Set();

/**
 * A loopback port that was free a moment ago and that this process has not handed out before. Callers that
 * bind later (a daemon's config lists many ports) would otherwise get the same port twice now and then, and
 * HAProxy binds with SO_REUSEPORT, so two of its frontends then share one port without an error and the
 * kernel splits the connections between them (a CI run saw 725 of 1,800 keys answered by the wrong backend).
 */
export async function freePort() {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const s = net.createServer();
      s.once("error", reject);
      s.listen(0, "127.0.0.1", () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

async function waitFor(check, what, ms = 10_000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (check()) return;
    } catch {}
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const cli = (port, ...args) =>
  execFileSync("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();

async function startOne(dir, extra = []) {
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, ...extra];
  const proc = spawn("redis-server", args, { stdio: ["ignore", "ignore", "inherit"] });
  // The server answering must be this one: freePort hands a port out once per process, but test files run in
  // processes of their own, and another file's server may have taken the port meanwhile (ours then exits).
  await waitFor(() => new RegExp(`^process_id:${proc.pid}\\b`, "m").test(cli(port, "INFO", "server")), `redis-server (pid ${proc.pid}) on ${port}`);
  return { port, proc };
}

/** One redis-server: `{ port, restart(), stop() }`; restart() starts a fresh process and resolves to its port. */
export async function startRedis() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "edgeroute-redis-"));
  let s = await startOne(dir);
  const kill = async () => {
    s.proc.kill("SIGKILL");
    await new Promise((r) => (s.proc.exitCode !== null || s.proc.signalCode !== null ? r() : s.proc.once("exit", r)));
  };
  const server = {
    port: s.port,
    async restart() {
      await kill();
      s = await startOne(dir);
      server.port = s.port;
      return s.port;
    },
    async stop() {
      await kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/** A 3-master Redis Cluster: `{ ports, stop() }`. */
export async function startCluster() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "edgeroute-cluster-"));
  const nodes = [];
  for (let i = 0; i < 3; i++) {
    const d = path.join(dir, String(i));
    fs.mkdirSync(d);
    nodes.push(await startOne(d, ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"]));
  }
  const ports = nodes.map((n) => n.port);
  execFileSync("redis-cli", ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-yes"], { stdio: "ignore" });
  await waitFor(() => ports.every((p) => /cluster_state:ok/.test(cli(p, "CLUSTER", "INFO"))), "cluster_state:ok", 20_000);
  return { ports, stop: () => { for (const n of nodes) n.proc.kill("SIGKILL"); fs.rmSync(dir, { recursive: true, force: true }); } };
}
