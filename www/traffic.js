// The traffic panel: simulated origins (latency and failure rate per origin) behind a real Router. Each request
// is acquire()d, completes after the origin's latency (jittered), and ends its lease with the outcome, which
// feeds least-latency's EWMA, least-outstanding's in-flight counts and passive health (ejection, probes).
const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const WINDOW_MS = 500; // one chart column
const HISTORY = 60; // columns: 30 s
// Quick health for a demo: eject after 3 failures in a row for 1.5 s (doubling), probe after that.
const HEALTH = { consecutiveFailures: 3, baseEjectionMs: 1500, maxEjectionMs: 8000, windowMs: 2000, minRequests: 10 };

export function startTraffic(Router) {
  let nodes = [];
  let colorOf = () => "#888";
  const sim = new Map(); // id -> { latencyMs, failure }
  let router;
  let timer;
  let columns = []; // [{ id: count }]
  let current = {};
  let columnStart = 0;
  let recent = []; // [time, id] of the last 2 s

  function build() {
    router?.free();
    router = new Router({ strategy: $("t-strategy").value, nodes: nodes.map(({ id, weight }) => ({ id, weight })), health: HEALTH });
  }

  function send() {
    const lease = router.acquire();
    if (!lease) return;
    const s = sim.get(lease.id);
    const latency = s.latencyMs * (0.5 + Math.random());
    const ok = Math.random() >= s.failure / 100;
    const now = performance.now();
    current[lease.id] = (current[lease.id] ?? 0) + 1;
    recent.push([now, lease.id]);
    const owner = router;
    // A lease from a Router replaced meanwhile (pool or strategy changed) has nothing left to report to.
    setTimeout(() => owner === router && lease.end({ ok, latencyMs: latency }), latency);
  }

  function tick() {
    const rate = Number($("t-rate").value);
    const now = performance.now();
    // Requests due since the last tick, at `rate` per second.
    const due = Math.round((rate * 100) / 1000);
    for (let i = 0; i < due; i++) send();
    if (now - columnStart >= WINDOW_MS) {
      columns.push(current);
      if (columns.length > HISTORY) columns.shift();
      current = {};
      columnStart = now;
      drawChart();
    }
    recent = recent.filter(([t]) => now - t <= 2000);
    drawTable();
  }

  function drawTable() {
    const stats = new Map(router.stats().map((s) => [s.id, s]));
    const total = recent.length || 1;
    for (const tr of $("t-nodes").tBodies[0].rows) {
      const s = stats.get(tr.dataset.id);
      const share = recent.filter(([, id]) => id === tr.dataset.id).length / total;
      tr.querySelector(".state").textContent = s.state;
      tr.querySelector(".state").dataset.state = s.state;
      tr.querySelector(".share").textContent = `${(100 * share).toFixed(0)}%`;
      tr.querySelector(".inflight").textContent = s.inflight;
      tr.querySelector(".ewma").textContent = s.ewmaMs === null ? "–" : s.ewmaMs.toFixed(0);
    }
  }

  function drawChart() {
    const svg = $("t-chart");
    const w = 600 / HISTORY;
    const parts = [];
    columns.forEach((col, c) => {
      const total = Object.values(col).reduce((a, b) => a + b, 0);
      if (!total) return;
      let y = 0;
      for (const n of nodes) {
        const h = (160 * (col[n.id] ?? 0)) / total;
        if (h > 0) {
          const r = document.createElementNS(SVG, "rect");
          r.setAttribute("x", (c * w).toFixed(2));
          r.setAttribute("y", y.toFixed(2));
          r.setAttribute("width", (w + 0.3).toFixed(2));
          r.setAttribute("height", h.toFixed(2));
          r.setAttribute("fill", colorOf(n.id));
          parts.push(r);
        }
        y += h;
      }
    });
    svg.replaceChildren(...parts);
    svg.dataset.columns = columns.length;
  }

  function drawRows() {
    const rows = nodes.map((n) => {
      const s = sim.get(n.id);
      const tr = document.createElement("tr");
      tr.dataset.id = n.id;
      tr.innerHTML = `<td><span class="swatch" style="background:${colorOf(n.id)}"></span><span class="id"></span></td>
        <td><input class="lat" type="number" min="1" max="2000" value="${s.latencyMs}"></td>
        <td><input class="fail" type="number" min="0" max="100" value="${s.failure}"></td>
        <td class="state">–</td><td class="share">–</td><td class="inflight">0</td><td class="ewma">–</td>`;
      tr.querySelector(".id").textContent = n.id;
      tr.querySelector(".lat").setAttribute("aria-label", `latency of ${n.id} in ms`);
      tr.querySelector(".fail").setAttribute("aria-label", `failure rate of ${n.id} in percent`);
      tr.querySelector(".lat").addEventListener("input", (e) => (s.latencyMs = Math.max(1, Number(e.target.value) || 1)));
      tr.querySelector(".fail").addEventListener("input", (e) => (s.failure = Math.min(100, Math.max(0, Number(e.target.value) || 0))));
      return tr;
    });
    $("t-nodes").tBodies[0].replaceChildren(...rows);
    drawTable();
  }

  function run(on) {
    clearInterval(timer);
    timer = undefined;
    $("t-run").textContent = on ? "Stop" : "Start";
    $("t-run").setAttribute("aria-pressed", String(on));
    if (on) {
      columnStart = performance.now();
      timer = setInterval(tick, 100);
    }
  }

  $("t-run").addEventListener("click", () => run(timer === undefined));
  $("t-strategy").addEventListener("change", () => {
    build();
    columns = [];
    drawChart();
    drawTable();
  });

  return {
    /** The placement pool changed: same origins here, new ones get default latency and no failures. */
    setNodes(next, color) {
      nodes = next;
      colorOf = color;
      next.forEach((n, i) => sim.has(n.id) || sim.set(n.id, { latencyMs: 20 + 15 * (i % 4), failure: 0 }));
      build();
      drawRows();
    },
  };
}
