// The traffic panel: simulated origins (latency and failure rate per origin) behind a real Router. Each request
// is acquire()d, completes after the origin's latency (jittered), and ends its lease with the outcome, which
// feeds least-latency's EWMA, least-outstanding's in-flight counts and passive health (ejection, probes).
// Origins can also be given a zone, made backups (priority 1) and marked down; requests then pick with the
// caller's zone, and the measured local and backup shares are shown beside spillModel's prediction. Slow start
// rebuilds the Router with slowStartMs, so an origin added or marked back up ramps its effective weight.
import { spillModel } from "./model.js";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const WINDOW_MS = 500; // one chart column
const HISTORY = 60; // columns: 30 s
const RECENT_MS = 2000; // the share columns and the summary measure the last 2 s
// Quick health for a demo: eject after 3 failures in a row for 1.5 s (doubling), probe after that.
const HEALTH = { consecutiveFailures: 3, baseEjectionMs: 1500, maxEjectionMs: 8000, windowMs: 2000, minRequests: 10 };
export const ZONES = ["zone-1", "zone-2", "zone-3"];
export const SLOW_START_MS = 5000;
const pct = (x) => `${(100 * x).toFixed(0)}%`;

export function startTraffic(Router) {
  let nodes = [];
  let colorOf = () => "#888";
  const sim = new Map(); // id -> { latencyMs, failure, zone, backup, down }
  let router;
  let timer;
  let columns = []; // [{ counts: { id: count }, local, model }]
  let current = {};
  let columnStart = 0;
  let recent = []; // [time, id] since the last change, at most the last 2 s

  const callerZone = () => $("t-zone").value;
  const specs = () =>
    nodes.map(({ id, weight }) => {
      const s = sim.get(id);
      return { id, weight, zone: s.zone || undefined, priority: s.backup ? 1 : 0 };
    });

  function build() {
    router?.free();
    const slow = $("t-slow").checked ? { slowStartMs: SLOW_START_MS } : {};
    router = new Router({ strategy: $("t-strategy").value, nodes: specs(), health: HEALTH, ...slow });
    applyMarks();
  }

  /**
   * Marks the origins ticked "down", after a new Router or setNodes (where a node whose zone or priority changed
   * leaves and joins again, unmarked). Marking a node that is down already changes nothing.
   */
  function applyMarks() {
    for (const n of nodes) if (sim.get(n.id).down) router.markDown(n.id);
  }

  /** Zones, priorities or the pool changed: the same Router takes the new specs (the others' health and ramps kept). */
  function update() {
    router.setNodes(specs());
    applyMarks();
  }

  function apply() {
    update();
    restartMeasure();
  }

  /** The summary and share columns measure the current setup only. */
  function restartMeasure() {
    recent = [];
    drawTable();
  }

  function send() {
    const zone = callerZone();
    const lease = zone ? router.acquire(undefined, { zone }) : router.acquire();
    if (!lease) return;
    const s = sim.get(lease.id);
    const latency = s.latencyMs * (0.5 + Math.random());
    const ok = Math.random() >= s.failure / 100;
    const now = performance.now();
    current[lease.id] = (current[lease.id] ?? 0) + 1;
    recent.push([now, lease.id]);
    const owner = router;
    // A lease from a Router replaced meanwhile (strategy or slow start changed) has nothing left to report to.
    setTimeout(() => owner === router && lease.end({ ok, latencyMs: latency }), latency);
  }

  function tick() {
    const rate = Number($("t-rate").value);
    const now = performance.now();
    // Requests due since the last tick, at `rate` per second.
    const due = Math.round((rate * 100) / 1000);
    for (let i = 0; i < due; i++) send();
    recent = recent.filter(([t]) => now - t <= RECENT_MS);
    const summary = drawTable();
    if (now - columnStart >= WINDOW_MS) {
      const total = Object.values(current).reduce((a, b) => a + b, 0);
      const zone = callerZone();
      const local = zone && total ? Object.entries(current).reduce((a, [id, c]) => a + (sim.get(id)?.zone === zone ? c : 0), 0) / total : null;
      columns.push({ counts: current, local, model: summary.local });
      if (columns.length > HISTORY) columns.shift();
      current = {};
      columnStart = now;
      drawChart();
    }
  }

  /** The table's live cells and the summary; returns the model's figures. */
  function drawTable() {
    const stats = router.stats();
    const byId = new Map(stats.map((s) => [s.id, s]));
    const total = recent.length;
    const counts = new Map();
    for (const [, id] of recent) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const tr of $("t-nodes").tBodies[0].rows) {
      const s = byId.get(tr.dataset.id);
      const share = (counts.get(tr.dataset.id) ?? 0) / (total || 1);
      tr.querySelector(".state").textContent = s.state;
      tr.querySelector(".state").dataset.state = s.state;
      const ew = tr.querySelector(".eweight");
      ew.textContent = s.effectiveWeight === s.weight ? String(s.weight) : `${s.effectiveWeight.toFixed(2)} of ${s.weight}`;
      ew.dataset.value = s.effectiveWeight;
      ew.classList.toggle("ramping", s.effectiveWeight > 0 && s.effectiveWeight < s.weight);
      tr.querySelector(".share").textContent = pct(share);
      tr.querySelector(".inflight").textContent = s.inflight;
      tr.querySelector(".ewma").textContent = s.ewmaMs === null ? "–" : s.ewmaMs.toFixed(0);
    }
    // The model reads health as the Router does: a node is usable while its effective weight is above 0 (so a
    // panic, where every node is usable again, is modelled too).
    const zone = callerZone();
    const model = spillModel(
      nodes.map((n) => ({ weight: n.weight, zone: sim.get(n.id).zone, priority: sim.get(n.id).backup ? 1 : 0, usable: byId.get(n.id).effectiveWeight > 0 })),
      zone,
    );
    const measured = (test) => (total ? [...counts].reduce((a, [id, c]) => a + (sim.has(id) && test(sim.get(id)) ? c : 0), 0) / total : null);
    const out = $("t-summary");
    out.dataset.n = total;
    const parts = [];
    if (zone) {
      const local = measured((s) => s.zone === zone);
      out.dataset.local = local ?? "";
      out.dataset.localModel = model.local;
      const h = model.h === null ? `no origin is in ${zone}` : `h = ${model.h.toFixed(2)}, the healthy share of ${zone}'s weight`;
      parts.push(`Kept in ${zone}: ${local === null ? "–" : pct(local)} measured, ${pct(model.local)} by the model min(1, 1.4 × h) (${h}).`);
    } else {
      delete out.dataset.local;
      delete out.dataset.localModel;
      parts.push("No caller's zone: requests pick from every zone.");
    }
    const backupModel = model.levels.filter((l) => l.priority > 0).reduce((a, l) => a + l.load, 0);
    const hasBackups = model.levels.length > 1;
    out.dataset.backup = hasBackups ? measured((s) => s.backup) ?? "" : "";
    out.dataset.backupModel = hasBackups ? backupModel : "";
    if (hasBackups) {
      const b = measured((s) => s.backup);
      parts.push(`Backups: ${b === null ? "–" : pct(b)} measured, ${pct(backupModel)} by the model (primaries keep all while 1.4 × their healthy share ≥ 1).`);
    }
    if (stats.some((s) => s.state !== "healthy" && s.effectiveWeight > 0 && s.state !== "probing")) parts.push("Panic: too few origins are healthy, so every origin takes traffic.");
    out.textContent = `${parts.join(" ")} (${total} requests)`;
    return model;
  }

  function drawChart() {
    const svg = $("t-chart");
    const w = 600 / HISTORY;
    const parts = [];
    const line = (key, cls) => {
      const pts = columns.map((col, c) => (col[key] === null ? null : `${(c * w + w / 2).toFixed(2)},${(160 * (1 - col[key])).toFixed(2)}`));
      // One polyline per run of columns that have the figure.
      const runs = pts.reduce((acc, p) => (p === null ? acc.push([]) : acc[acc.length - 1].push(p), acc), [[]]).filter((r) => r.length > 1);
      for (const r of runs) {
        const pl = document.createElementNS(SVG, "polyline");
        pl.setAttribute("points", r.join(" "));
        pl.setAttribute("class", cls);
        parts.push(pl);
      }
    };
    columns.forEach(({ counts }, c) => {
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      if (!total) return;
      let y = 0;
      for (const n of nodes) {
        const h = (160 * (counts[n.id] ?? 0)) / total;
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
    line("model", "model-line");
    line("local", "local-line");
    svg.replaceChildren(...parts);
    svg.dataset.columns = columns.length;
  }

  function drawRows() {
    const zoneOptions = ["", ...ZONES].map((z) => `<option value="${z}">${z || "none"}</option>`).join("");
    const rows = nodes.map((n) => {
      const s = sim.get(n.id);
      const tr = document.createElement("tr");
      tr.dataset.id = n.id;
      tr.innerHTML = `<td><span class="swatch" style="background:${colorOf(n.id)}"></span><span class="id"></span></td>
        <td><select class="zone">${zoneOptions}</select></td>
        <td><input class="backup" type="checkbox"></td>
        <td><input class="down" type="checkbox"></td>
        <td><input class="lat" type="number" min="1" max="2000" value="${s.latencyMs}"></td>
        <td><input class="fail" type="number" min="0" max="100" value="${s.failure}"></td>
        <td class="state">–</td><td class="eweight">–</td><td class="share">–</td><td class="inflight">0</td><td class="ewma">–</td>`;
      tr.querySelector(".id").textContent = n.id;
      const input = (cls, label) => {
        const e = tr.querySelector(cls);
        e.setAttribute("aria-label", `${label} of ${n.id}`);
        return e;
      };
      const zone = input(".zone", "zone");
      zone.value = s.zone;
      zone.addEventListener("change", () => {
        s.zone = zone.value;
        apply();
      });
      const backup = input(".backup", "backup (priority 1)");
      backup.checked = s.backup;
      backup.addEventListener("change", () => {
        s.backup = backup.checked;
        apply();
      });
      const down = input(".down", "marked down");
      down.checked = s.down;
      down.addEventListener("change", () => {
        s.down = down.checked;
        if (s.down) router.markDown(n.id);
        else router.markUp(n.id);
        restartMeasure();
      });
      input(".lat", "latency in ms").addEventListener("input", (e) => (s.latencyMs = Math.max(1, Number(e.target.value) || 1)));
      input(".fail", "failure rate in percent").addEventListener("input", (e) => (s.failure = Math.min(100, Math.max(0, Number(e.target.value) || 0))));
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

  function rebuild() {
    build();
    columns = [];
    drawChart();
    restartMeasure();
  }

  $("t-run").addEventListener("click", () => run(timer === undefined));
  $("t-strategy").addEventListener("change", rebuild);
  $("t-slow").addEventListener("change", rebuild);
  $("t-zone").addEventListener("change", restartMeasure);
  $("t-spread").addEventListener("click", () => {
    nodes.forEach((n, i) => (sim.get(n.id).zone = ZONES[i % ZONES.length]));
    if (!callerZone()) $("t-zone").value = ZONES[0];
    apply();
    drawRows();
  });

  return {
    /**
     * The placement pool changed: same origins here, new ones get default latency, no failures, no zone. The
     * Router is kept (setNodes), so an added origin ramps under slow start and the others keep their health.
     */
    setNodes(next, color) {
      const had = new Set(nodes.map((n) => n.id));
      nodes = next;
      colorOf = color;
      next.forEach((n, i) => sim.has(n.id) || sim.set(n.id, { latencyMs: 20 + 15 * (i % 4), failure: 0, zone: "", backup: false, down: false }));
      // An origin that comes back into the pool joins the Router unmarked.
      for (const n of next) if (!had.has(n.id)) sim.get(n.id).down = false;
      if (router) update();
      else build();
      drawRows();
    },
  };
}
