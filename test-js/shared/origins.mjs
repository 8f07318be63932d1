// Local HTTP origins on loopback for the proxy tests. Each answers with its own name and the path it saw.
import http from "node:http";

export async function startOrigins(names) {
  const servers = await Promise.all(
    names.map(
      (name) =>
        new Promise((resolve) => {
          const s = http.createServer((req, res) => {
            res.setHeader("content-type", "text/plain");
            res.end(`${name} ${req.url}`);
          });
          s.listen(0, "127.0.0.1", () => resolve(s));
        }),
    ),
  );
  const urls = servers.map((s) => `http://127.0.0.1:${s.address().port}`);
  const byUrl = Object.fromEntries(urls.map((u, i) => [u, names[i]]));
  return { urls, byUrl, close: () => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))) };
}
