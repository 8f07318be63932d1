// A real Prometheus (Debian's `prometheus`, installed by scripts/setup.sh test) and examples/metrics-server.mjs,
// each started as a child process on loopback, with a temporary config and TSDB; stop() kills every process it
// started, and so does this process's exit if a test died before calling it.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../shared/redis-server.mjs";

const procs = new Set();
process.on("exit", () => {
  for (const p of procs) p.kill("SIGKILL");
});

function run(cmd, args, options = {}) {
  const p = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
  let log = "";
  p.stdout.on("data", (d) => (log += d));
  p.stderr.on("data", (d) => (log += d));
  p.log = () => log;
  p.exited = new Promise((resolve) => p.once("exit", resolve));
  // A command that cannot start (not installed) counts as exited, so waitFor fails at once with the reason.
  p.once("error", (e) => {
    log += `cannot run ${cmd}: ${e.message}${e.code === "ENOENT" ? " (scripts/setup.sh test installs it)" : ""}\n`;
    p.failed = true;
  });
  procs.add(p);
  return p;
}

/** SIGTERM, then SIGKILL after `ms` if the process is still there. */
async function kill(p, ms = 5000) {
  if (!p.failed && p.exitCode === null && p.signalCode === null) {
    p.kill("SIGTERM");
    const timer = setTimeout(() => p.kill("SIGKILL"), ms);
    await p.exited;
    clearTimeout(timer);
  }
  procs.delete(p);
}

async function waitFor(check, what, proc, ms = 20_000) {
  const end = Date.now() + ms;
  for (;;) {
    if (proc.failed) throw new Error(`${what} could not start:\n${proc.log()}`);
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${what} exited (${proc.exitCode ?? proc.signalCode}):\n${proc.log()}`);
    try {
      const v = await check();
      if (v) return v;
    } catch {}
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${proc.log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts `node examples/metrics-server.mjs` (from `dir`, where `edgeroute` resolves) over `origins`, on a free
 * port. Returns { url, proc, stop() }.
 */
export async function startExample(dir, origins, env = {}) {
  const proc = run(process.execPath, ["examples/metrics-server.mjs"], {
    cwd: dir,
    env: { ...process.env, ORIGINS: JSON.stringify(origins), PORT: "0", ...env },
  });
  const url = await waitFor(() => proc.log().match(/listening on (http:\S+)/)?.[1], "examples/metrics-server.mjs", proc, 10_000);
  return { url, proc, stop: () => kill(proc) };
}

/**
 * Starts Prometheus scraping each job of `jobs` ({ name: { target: "127.0.0.1:port", params? } }) every second.
 * The command must exist: a missing Prometheus fails the test (scripts/setup.sh test installs it). Returns
 * { url, query(expr, time?), stop(), log() }; query resolves to the API's `data` and throws unless
 * the API answered `success`.
 */
export async function startPrometheus(jobs) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "edgeroute-prometheus-"));
  const scrapes = Object.entries(jobs).map(([name, { target, params }]) => {
    const p = params ? `\n    params: ${JSON.stringify(Object.fromEntries(Object.entries(params).map(([k, v]) => [k, [v]])))}` : "";
    return `  - job_name: ${JSON.stringify(name)}${p}\n    static_configs:\n      - targets: [${JSON.stringify(target)}]`;
  });
  const config = `global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n${scrapes.join("\n")}\n`;
  fs.writeFileSync(path.join(dir, "prometheus.yml"), config);
  const stop = async (proc) => {
    await kill(proc);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // Another process can take the free port before Prometheus binds it: then it exits at once, and it gets another.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const proc = run("prometheus", [
      `--config.file=${path.join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${path.join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ]);
    try {
      // Ready, and the Prometheus answering is this one.
      await waitFor(async () => (await fetch(`${url}/-/ready`)).ok, `prometheus on ${port}`, proc);
      const flags = await (await fetch(`${url}/api/v1/status/flags`)).json();
      if (flags.data["storage.tsdb.path"] !== path.join(dir, "data")) throw new Error(`another Prometheus answers on ${port}`);
    } catch (e) {
      await kill(proc);
      if (attempt < 3 && /address already in use|another Prometheus/.test(`${e.message}`)) continue;
      await stop(proc);
      throw e;
    }
    const query = async (expr, time) => {
      const q = new URLSearchParams({ query: expr });
      if (time !== undefined) q.set("time", String(time / 1000));
      const body = await (await fetch(`${url}/api/v1/query?${q}`)).json();
      if (body.status !== "success") throw new Error(`${expr}: ${body.errorType}: ${body.error}`);
      return body.data;
    };
    return { url, query, stop: () => stop(proc), log: () => proc.log() };
  }
}
