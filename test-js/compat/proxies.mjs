// Starts Squid, Caddy, Varnish and Traffic Server (Debian's) on loopback for their compat profiles, with origins that
// answer with their own name. The processes are tracked by daemons.mjs (stopAll()), the origins here
// (stopOrigins()).
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { tmp, run, waitListening } from "./daemons.mjs";

const servers = [];

/**
 * An HTTP/1.1 origin on host:port answering every GET with `x-origin: <name>`, kept alive. Written on a bare
 * socket because Node's HTTP parser refuses raw bytes ≥ 0x80 in a request target, which Squid forwards as
 * received.
 */
export async function startOrigin(name, host, port) {
  const reply = Buffer.from(`HTTP/1.1 200 OK\r\nx-origin: ${name}\r\ncontent-length: ${Buffer.byteLength(name)}\r\n\r\n${name}`);
  const conns = new Set();
  const s = net.createServer((sock) => {
    conns.add(sock);
    sock.on("close", () => conns.delete(sock));
    let buf = Buffer.alloc(0);
    sock.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      for (let end; (end = buf.indexOf("\r\n\r\n")) >= 0; buf = buf.subarray(end + 4)) sock.write(reply);
    });
    sock.on("error", () => {});
  });
  await new Promise((resolve, reject) => {
    s.once("error", reject);
    s.listen(port, host, resolve);
  });
  s.conns = conns;
  servers.push(s);
  return s;
}

/** Starts `squid -N` with these `cache_peer` lines (and anything else) on 127.0.0.1:port; resolves {proc, dir}. */
export async function startSquid(port, peerLines) {
  const dir = fs.mkdtempSync(path.join(tmp, "squid-"));
  // Squid drops root for its effective user, which must be able to write its logs here.
  fs.chmodSync(dir, 0o777);
  const conf = `http_port 127.0.0.1:${port}
pid_filename ${dir}/squid.pid
cache_log ${dir}/cache.log
access_log none
cache_store_log none
coredump_dir ${dir}
cache deny all
never_direct allow all
http_access allow all
pinger_enable off
netdb_filename none
shutdown_lifetime 0 seconds
via off
forwarded_for delete
${peerLines}
`;
  fs.writeFileSync(`${dir}/squid.conf`, conf);
  const check = run("squid", ["-k", "parse", "-f", `${dir}/squid.conf`], "squid -k parse");
  await new Promise((r) => check.once("exit", r));
  if (check.exitCode !== 0) throw new Error(`squid rejected the config:\n${check.log()}`);
  const p = run("squid", ["-N", "-f", `${dir}/squid.conf`], "squid");
  await waitListening({ host: "127.0.0.1", port }, `squid on ${port}`, p, 30_000);
  return { proc: p, dir };
}

/** Stops one process (SIGTERM, then SIGKILL after 5 s); stopAll() of daemons.mjs skips it then. */
export function stop(p) {
  return new Promise((r) => {
    if (p.exitCode !== null || p.signalCode !== null) return r();
    const force = setTimeout(() => p.kill("SIGKILL"), 5000);
    p.once("exit", () => {
      clearTimeout(force);
      r();
    });
    p.kill("SIGTERM");
  });
}

/** Starts `caddy run` with this Caddyfile; waits for every port in `ports` on 127.0.0.1. */
export async function startCaddy(caddyfile, ports) {
  const dir = fs.mkdtempSync(path.join(tmp, "caddy-"));
  fs.writeFileSync(`${dir}/Caddyfile`, caddyfile);
  const env = { HOME: dir, XDG_CONFIG_HOME: `${dir}/config`, XDG_DATA_HOME: `${dir}/data` };
  const p = run("caddy", ["run", "--config", `${dir}/Caddyfile`, "--adapter", "caddyfile"], "caddy", env);
  for (const port of ports) await waitListening({ host: "127.0.0.1", port }, `caddy on ${port}`, p, 30_000);
  return p;
}

/** Starts `varnishd -F` with this VCL on 127.0.0.1:port; resolves the process. */
export async function startVarnish(port, vcl) {
  // varnishd reads the VCL after dropping root: let its user through the temporary folders.
  fs.chmodSync(tmp, 0o711);
  const dir = fs.mkdtempSync(path.join(tmp, "varnish-"));
  fs.chmodSync(dir, 0o777);
  fs.writeFileSync(`${dir}/default.vcl`, vcl);
  const p = run(
    "varnishd",
    ["-F", "-a", `127.0.0.1:${port}`, "-f", `${dir}/default.vcl`, "-n", `${dir}/work`, "-s", "malloc,32m", "-T", "none"],
    "varnishd",
  );
  await waitListening({ host: "127.0.0.1", port }, `varnishd on ${port}`, p, 60_000);
  return p;
}

/** Closes the origins started here (the processes are daemons.mjs's: stopAll()). */
export function stopOrigins() {
  for (const s of servers.splice(0)) {
    s.close();
    for (const c of s.conns) c.destroy();
  }
}

/**
 * Sends one GET per request description, `concurrency` at a time, and returns each answer's `x-origin` (or
 * `HTTP <status>`). A description is http.request options; `path` may hold any UTF-8 (sent as its raw bytes).
 */
export async function ask(port, requests, concurrency = 16) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const out = new Array(requests.length);
  let next = 0;
  const one = (i) =>
    new Promise((resolve, reject) => {
      const { path: p = "/", headers = {}, localAddress } = requests[i];
      const raw = (s) => Buffer.from(s, "utf8").toString("latin1");
      const hs = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, raw(v)]));
      const opts = { host: "127.0.0.1", port, path: raw(p), headers: hs };
      // A request from another client address cannot share a kept-alive socket.
      if (localAddress) Object.assign(opts, { localAddress, agent: false });
      else opts.agent = agent;
      const req = http.get(opts, (res) => {
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
      while (next < requests.length) await one(next++);
    }),
  );
  agent.destroy();
  return out;
}

/**
 * Starts Apache Traffic Server (Debian's `traffic_server`, 9.2) on 127.0.0.1:port as a reverse proxy whose every
 * request goes to the parents of this `parent.config` line (`go_direct=false`), with a runroot in a temporary
 * folder; resolves the process. The cache is off and no origin is looked up in DNS
 * (`no_dns_just_forward_to_parent`), so each answer comes from the parent that parent selection chose.
 */
export async function startTrafficServer(port, parentLine) {
  const dir = fs.mkdtempSync(path.join(tmp, "ats-"));
  for (const d of ["etc", "run", "log", "cache", "var"]) fs.mkdirSync(`${dir}/${d}`);
  fs.cpSync("/etc/trafficserver/body_factory", `${dir}/etc/body_factory`, { recursive: true });
  for (const f of ["cache.config", "hosting.config", "ip_allow.yaml", "logging.yaml", "plugin.config", "socks.config", "splitdns.config", "ssl_multicert.config", "sni.yaml", "strategies.yaml", "volume.config"]) {
    fs.copyFileSync(`/etc/trafficserver/${f}`, `${dir}/etc/${f}`);
  }
  const paths = { prefix: dir, exec_prefix: "/usr", bindir: "/usr/bin", sbindir: "/usr/sbin", sysconfdir: `${dir}/etc`, datadir: `${dir}/cache`, includedir: "/usr/include", libdir: "/usr/lib/trafficserver", libexecdir: "/usr/lib/trafficserver/modules", localstatedir: `${dir}/var`, runtimedir: `${dir}/run`, logdir: `${dir}/log`, cachedir: `${dir}/cache` };
  fs.writeFileSync(`${dir}/runroot.yaml`, Object.entries(paths).map(([k, v]) => `${k}: ${v}\n`).join(""));
  fs.writeFileSync(
    `${dir}/etc/records.config`,
    `CONFIG proxy.config.http.server_ports STRING ${port}:ip-in=127.0.0.1
CONFIG proxy.config.http.cache.http INT 0
CONFIG proxy.config.url_remap.remap_required INT 1
CONFIG proxy.config.admin.user_id STRING #-1
CONFIG proxy.config.http.no_dns_just_forward_to_parent INT 1
CONFIG proxy.config.http.parent_proxy.total_connect_attempts INT 4
CONFIG proxy.config.http.parent_proxy.per_parent_connect_attempts INT 1
CONFIG proxy.config.http.connect_attempts_timeout INT 2
CONFIG proxy.config.http.insert_request_via_str INT 0
CONFIG proxy.config.http.insert_response_via_str INT 0
CONFIG proxy.config.cache.ram_cache.size INT 1048576
`,
  );
  fs.writeFileSync(`${dir}/etc/storage.config`, `${dir}/cache 64M\n`);
  fs.writeFileSync(`${dir}/etc/remap.config`, "map / http://origin.invalid/\n");
  fs.writeFileSync(`${dir}/etc/parent.config`, `${parentLine}\n`);
  const p = run("traffic_server", [`--run-root=${dir}/runroot.yaml`], "traffic_server");
  await waitListening({ host: "127.0.0.1", port }, `traffic_server on ${port}`, p, 60_000);
  return p;
}
