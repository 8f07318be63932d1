// Local HTTP origins on loopback for the proxy tests. Each answers "<name> <path>" and logs every request; its
// behaviour can be switched at run time: ok, slow (delayMs), hang (never answers), 503, drop (the connection
// is destroyed), or, after the headers and the first part of the body: stall-body (the rest never comes),
// slow-body (the rest comes after delayMs) and die-mid-body (the connection is destroyed after delayMs). Works in
// Node and in Deno (node:http).
import http from "node:http";

export async function startOrigins(names) {
  const state = Object.fromEntries(names.map((n) => [n, { mode: "ok", delayMs: 0 }]));
  const log = [];
  const hung = new Set();
  const open = new Set(); // responses whose connection is still open
  let started = 0;
  const servers = await Promise.all(
    names.map(
      (name) =>
        new Promise((resolve) => {
          const s = http.createServer((req, res) => {
            started++;
            open.add(res);
            res.on("close", () => open.delete(res));
            let size = 0;
            req.on("data", (c) => (size += c.length));
            req.on("end", () => {
              log.push({ name, path: req.url, method: req.method, bodyBytes: size, at: Date.now() });
              const { mode, delayMs } = state[name];
              const answer = () => {
                if (mode === "hang") {
                  hung.add(res);
                  return;
                }
                if (mode === "drop") {
                  req.socket.destroy();
                  return;
                }
                if (mode.endsWith("-body")) {
                  const rest = "x".repeat(1000);
                  const headers = { "content-type": "text/plain", connection: "close" };
                  if (mode === "die-mid-body") headers["content-length"] = String(100_000);
                  res.writeHead(200, headers);
                  res.write(`${name} ${req.url} `);
                  hung.add(res);
                  if (mode === "slow-body") setTimeout(() => res.end(rest), delayMs);
                  if (mode === "die-mid-body") setTimeout(() => req.socket.destroy(), delayMs);
                  return;
                }
                res.writeHead(mode === "503" ? 503 : 200, { "content-type": "text/plain", connection: "close" });
                res.end(`${name} ${req.url}`);
              };
              if (delayMs > 0 && !mode.endsWith("-body")) setTimeout(answer, delayMs);
              else answer();
            });
          });
          s.keepAliveTimeout = 1;
          s.listen(0, "127.0.0.1", () => resolve(s));
        }),
    ),
  );
  const urls = servers.map((s) => `http://127.0.0.1:${s.address().port}`);
  const byUrl = Object.fromEntries(urls.map((u, i) => [u, names[i]]));
  const urlOf = Object.fromEntries(names.map((n, i) => [n, urls[i]]));
  return {
    urls,
    byUrl,
    urlOf,
    log,
    /** Requests that reached an origin (logged or not: `log` has those whose body was read). */
    get started() {
      return started;
    },
    /** Connections of answers still open (a hang or a body not finished that the client has not given up). */
    get open() {
      return open.size;
    },
    set(name, mode, delayMs = 0) {
      state[name] = { mode, delayMs };
    },
    close: async () => {
      for (const res of hung) res.destroy?.();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise((r) => {
              s.closeAllConnections?.();
              s.close(r);
            }),
        ),
      );
    },
  };
}
