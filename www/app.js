// The demo page. Routing, ring points and key positions all come from the wasm package (/pkg/web.js); this
// file only draws them and keeps the controls in step.
import init, { Router } from "/pkg/web.js";
import { startTraffic } from "./traffic.js";
import { idealMove, keyName, optionsFor, ownersOf } from "./model.js";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];
const C = 210; // centre of the ring's viewBox
const R = 150; // radius of the points

/** The pool: id, weight and a colour that stays with the id. */
const state = {
  nodes: [
    { id: "origin-a", weight: 2 },
    { id: "origin-b", weight: 1 },
    { id: "origin-c", weight: 1 },
    { id: "origin-d", weight: 1 },
    { id: "origin-e", weight: 1 },
  ],
  colors: new Map(),
  router: undefined,
  owners: [], // owner of key i under the current config
  lastChange: null, // { moved: Set<i>, ideal }
  cursor: { key: -1, point: -1 },
  points: null,
};
let nextColor = 0;
const colorOf = (id) => {
  if (!state.colors.has(id)) state.colors.set(id, PALETTE[nextColor++ % PALETTE.length]);
  return state.colors.get(id);
};

const keyCount = () => Number($("keycount").value);
const choice = () => $("strategy").value;

/** Rebuilds the Router for the current controls. `change` describes a pool change to measure, if any. */
function rebuild(change) {
  const prev = { owners: state.owners, nodes: state.nodes };
  const nodes = change ? change.nodes : state.nodes;
  let router;
  try {
    router = new Router(optionsFor(choice(), nodes, Number($("vnodes").value)));
  } catch (e) {
    $("error").textContent = `${e.code}: ${e.message}`;
    $("error").hidden = false;
    return false;
  }
  $("error").hidden = true;
  state.router?.free();
  state.router = router;
  state.nodes = nodes;
  state.owners = ownersOf(router, keyCount(), choice().includes("+bounded"));
  state.points = router.ringPoints();
  if (prev.owners.length === state.owners.length && change !== undefined) {
    const moved = new Set();
    state.owners.forEach((o, i) => o !== prev.owners[i] && moved.add(i));
    const ideal = change.pool ? idealMove(prev.nodes, nodes) * state.owners.length : 0;
    state.lastChange = { moved, ideal, what: change.what };
  } else {
    state.lastChange = null;
  }
  render();
  traffic?.setNodes(state.nodes, colorOf);
  return true;
}

function el(name, attrs) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

const angle = (p) => p * 2 * Math.PI - Math.PI / 2;
const at = (p, r) => [C + r * Math.cos(angle(p)), C + r * Math.sin(angle(p))];

function arcPath(p0, p1, r) {
  const [x0, y0] = at(p0, r);
  const [x1, y1] = at(p1, r);
  const large = p1 - p0 > 0.5 ? 1 : 0;
  return `M${x0.toFixed(2)},${y0.toFixed(2)}A${r},${r} 0 ${large} 1 ${x1.toFixed(2)},${y1.toFixed(2)}`;
}

function drawRing() {
  const svg = $("ring");
  const parts = [el("circle", { cx: C, cy: C, r: R, class: "axis" })];
  const pts = state.points;
  if (pts) {
    // Arcs: the stretch before each point (back to the previous point) belongs to that point's owner; runs of
    // one owner are merged into one path.
    const n = pts.positions.length;
    let start = pts.positions[n - 1] - 1; // the last point, one turn back: the first arc wraps past 0
    for (let i = 0; i < n; i++) {
      if (i + 1 < n && pts.owners[i + 1] === pts.owners[i]) continue;
      const end = pts.positions[i];
      for (let a = start; a < end; a += 0.49) {
        parts.push(el("path", { d: arcPath(a, Math.min(a + 0.49, end), R + 16), stroke: colorOf(pts.owners[i]), class: "arc" }));
      }
      start = end;
    }
    pts.positions.forEach((p, i) => {
      const [x0, y0] = at(p, R - 5);
      const [x1, y1] = at(p, R + 5);
      parts.push(el("line", { x1: x0, y1: y0, x2: x1, y2: y1, stroke: colorOf(pts.owners[i]), class: "pt", "data-point": i }));
    });
  }
  const moved = state.lastChange?.moved;
  state.owners.forEach((o, i) => {
    const [x, y] = at(state.router.keyPosition(keyName(i)), R - 16 - (i % 4) * 7);
    const m = moved?.has(i);
    parts.push(el("circle", { cx: x, cy: y, r: m ? 4 : 2.5, fill: colorOf(o), class: m ? "key moved" : "key", "data-key": i }));
  });
  parts.push(el("circle", { cx: C, cy: C, r: 0, class: "cursor", id: "ring-cursor" }));
  svg.replaceChildren(...parts);
}

function drawBars() {
  const counts = new Map(state.nodes.map((n) => [n.id, 0]));
  for (const o of state.owners) counts.set(o, counts.get(o) + 1);
  const max = Math.max(...counts.values());
  const total = state.nodes.reduce((a, n) => a + n.weight, 0);
  const bars = state.nodes.map((n) => {
    const c = counts.get(n.id);
    const row = document.createElement("div");
    row.className = "bar-row";
    row.setAttribute("role", "listitem");
    row.dataset.id = n.id;
    row.dataset.count = c;
    const expected = (state.owners.length * n.weight) / total;
    row.innerHTML = `<span class="bar-label"></span><span class="bar" style="width:${((100 * c) / Math.max(max, 1)).toFixed(1)}%;background:${colorOf(n.id)}"></span><span class="bar-num">${c} <small>(fair ${expected.toFixed(0)})</small></span>`;
    row.firstChild.textContent = n.id;
    return row;
  });
  $("bars").replaceChildren(...bars);
  // Max/mean relative to each node's weighted fair share: 1.00 is perfect balance.
  const ratio = Math.max(...state.nodes.map((n) => counts.get(n.id) / ((state.owners.length * n.weight) / total)));
  $("balance").textContent = `max/mean (weighted): ${ratio.toFixed(3)} over ${state.owners.length} keys and ${state.nodes.length} origins`;
  $("balance").dataset.ratio = ratio.toFixed(6);
}

function drawNodes() {
  const tbody = $("nodes").tBodies[0];
  const rows = state.nodes.map((n, i) => {
    const tr = document.createElement("tr");
    tr.innerHTML = `<td><span class="swatch" style="background:${colorOf(n.id)}"></span><span class="id"></span></td>
      <td><input type="number" min="1" max="20" step="1" value="${n.weight}" aria-label="weight of ${n.id}"></td>
      <td><button type="button" aria-label="remove ${n.id}">Remove</button></td>`;
    tr.querySelector(".id").textContent = n.id;
    tr.querySelector("input").addEventListener("change", (e) => {
      const weight = Number(e.target.value);
      const nodes = state.nodes.map((m, j) => (j === i ? { ...m, weight } : m));
      if (!rebuild({ nodes, pool: true, what: `${n.id} reweighted to ${weight}` })) e.target.value = n.weight;
    });
    tr.querySelector("button").addEventListener("click", () => {
      rebuild({ nodes: state.nodes.filter((_, j) => j !== i), pool: true, what: `${n.id} removed` });
    });
    return tr;
  });
  tbody.replaceChildren(...rows);
}

function drawMoved() {
  const ch = state.lastChange;
  const out = $("moved");
  if (!ch) {
    out.textContent = "Change the pool to see which keys move.";
    delete out.dataset.moved;
    return;
  }
  out.dataset.moved = ch.moved.size;
  out.textContent = `${ch.what}: moved ${ch.moved.size} of ${state.owners.length} keys (ideal ≈ ${Math.round(ch.ideal)})`;
}

function drawSearch() {
  const key = $("search").value;
  const out = $("search-out");
  try {
    const pos = state.router.keyPosition(key);
    const order = state.router.pickN(key, 3);
    out.textContent = `${JSON.stringify(key)} sits at ${pos.toFixed(6)} on the circle → ${state.router.pick(key)}; failover order (pickN 3): ${order.join(" → ")}`;
    const [x, y] = at(pos, R - 40);
    const cur = $("ring-cursor");
    cur.setAttribute("cx", x);
    cur.setAttribute("cy", y);
    cur.setAttribute("r", 6);
  } catch (e) {
    out.textContent = `${e.code}: ${e.message}`;
  }
}

function render() {
  drawRing();
  drawBars();
  drawNodes();
  drawMoved();
  drawSearch();
  $("vnodes").disabled = !choice().startsWith("ring");
}

function inspectKey(i) {
  const pos = state.router.keyPosition(keyName(i));
  return `${keyName(i)} at ${pos.toFixed(6)} (hash ≈ 0x${Math.floor(pos * 2 ** 32).toString(16).padStart(8, "0")}…) → ${state.owners[i]}${state.lastChange?.moved.has(i) ? " (moved)" : ""}`;
}

function inspectPoint(i) {
  const p = state.points.positions[i];
  return `ring point ${i + 1} of ${state.points.positions.length} at ${p.toFixed(6)} (hash ≈ 0x${Math.floor(p * 2 ** 32).toString(16).padStart(8, "0")}…), owned by ${state.points.owners[i]}`;
}

function focusItem(kind, i) {
  const node = $("ring").querySelector(kind === "key" ? `[data-key="${i}"]` : `[data-point="${i}"]`);
  $("ring").querySelectorAll(".focused").forEach((e) => e.classList.remove("focused"));
  node?.classList.add("focused");
  $("inspect").textContent = kind === "key" ? inspectKey(i) : inspectPoint(i);
}

function wire() {
  $("strategy").addEventListener("change", () => rebuild({ nodes: state.nodes, pool: false, what: `strategy → ${choice()}` }));
  $("vnodes").addEventListener("input", () => {
    $("vnodes-out").value = $("vnodes").value;
    rebuild({ nodes: state.nodes, pool: false, what: `${$("vnodes").value} points per unit of weight` });
  });
  $("keycount").addEventListener("change", () => rebuild());
  $("search").addEventListener("input", drawSearch);
  $("add-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const id = $("add-id").value.trim() || `origin-${String.fromCharCode(97 + state.nodes.length)}`;
    if (rebuild({ nodes: [...state.nodes, { id, weight: 1 }], pool: true, what: `${id} added` })) $("add-id").value = "";
  });
  const ring = $("ring");
  ring.addEventListener("mouseover", (e) => {
    const t = e.target;
    if (t.dataset.key !== undefined) focusItem("key", Number(t.dataset.key));
    else if (t.dataset.point !== undefined) focusItem("point", Number(t.dataset.point));
  });
  ring.addEventListener("keydown", (e) => {
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 1, ArrowUp: -1 }[e.key];
    if (step === undefined) return;
    e.preventDefault();
    if (e.key === "ArrowUp" || e.key === "ArrowDown") {
      const n = state.points?.positions.length ?? 0;
      if (n === 0) return;
      state.cursor.point = (state.cursor.point + step + n) % n;
      focusItem("point", state.cursor.point);
    } else {
      const n = state.owners.length;
      state.cursor.key = (state.cursor.key + step + n) % n;
      focusItem("key", state.cursor.key);
    }
  });
}

await init();
const traffic = startTraffic(Router);
wire();
rebuild();
document.body.dataset.ready = "true";
